import CascadeCore
import CascadeExperiments
import CascadeFormats
import Foundation

/// libFuzzer entry: the input bytes are an experiment file (YAML) in a folder that also holds
/// the repository's ketamine model and inhibitor panel (so `model: ketamine.ant` and
/// `panel: inhibitors.yaml` resolve), read by `Experiment.load` and, as a cell-line file, by
/// `CellLine.load`. Each must give a value or an error whose description names the file; a
/// loaded experiment with a sweep must describe its size without building it. Any other outcome
/// stops the run (a crash, a hang past libFuzzer's -timeout, an error without the file's name).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExperiment(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    let file = Workspace.shared.file
    do { try bytes.write(to: file) } catch { fatalError("cannot write \(file.path): \(error)") }
    do {
        let e = try Experiment.load(file)
        if let sweep = e.sweep {
            _ = sweep.axes.map(\.values.count).reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        }
    } catch {
        expectNamed(error, file, "Experiment.load")
    }
    do { _ = try CellLine.load(file) } catch { expectNamed(error, file, "CellLine.load") }
    return 0
}

private func expectNamed(_ error: Error, _ file: URL, _ what: String) {
    let text = "\(error)"
    guard text.contains(file.lastPathComponent) || text.contains("ketamine.ant") || text.contains("inhibitors.yaml") else {
        fatalError("\(what): the error does not name the file: \(type(of: error)): \(text.prefix(500))")
    }
    guard !text.contains("Yams.Node") && !text.contains("Optional(") else {
        fatalError("\(what): a debug dump as message: \(text.prefix(500))")
    }
}

/// A private folder with the model and panel the experiments refer to.
private final class Workspace: @unchecked Sendable {
    static let shared = Workspace()
    let file: URL

    init() {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-fuzz-experiment-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["ketamine.ant", "inhibitors.yaml"] {
            let target = dir.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            do {
                try FileManager.default.copyItem(at: repo.appendingPathComponent("models/\(name)"), to: target)
            } catch {
                fatalError("cannot copy models/\(name) from \(repo.path): \(error)")
            }
        }
        file = dir.appendingPathComponent("experiment.yaml")
    }
}
