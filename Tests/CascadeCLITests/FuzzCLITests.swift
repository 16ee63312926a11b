import Foundation
import XCTest

/// The inputs the fuzzers made crash (`Tests/CascadeFormatsTests/Fixtures/fuzz`, listed with their
/// outcome in EXPECTED.tsv; FuzzRegressionTests checks the readers on them) through the command
/// line, as files (`.ant` or `.xml` by folder): `cascade info` must exit with 1 for an input that
/// must give an error, 0 or 1 otherwise, and never by a signal.
final class FuzzCLITests: XCTestCase {
    private var folder: URL { CLI.fixtures.appendingPathComponent("fuzz") }

    /// EXPECTED.tsv rows: file, then `-` when the input must read, else the error's line, column, message.
    private func manifest() throws -> [(file: String, mustFail: Bool)] {
        let text = try String(contentsOf: folder.appendingPathComponent("EXPECTED.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { row in
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (f[0], f.count > 1 && f[1] != "-")
        }
    }

    func testCLINeverCrashesOnTheInputs() throws {
        try CLI.requireBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = try manifest()
        XCTAssertFalse(inputs.isEmpty)
        for e in inputs {
            let copy = dir.appendingPathComponent(e.file.replacingOccurrences(of: "/", with: "-") + (e.file.hasPrefix("sbml/") ? ".xml" : ".ant"))
            try FileManager.default.copyItem(at: folder.appendingPathComponent(e.file), to: copy)
            let r = try CLI.run(["info", copy.path])
            XCTAssertTrue(r.exited, "\(e.file): cascade info was killed by signal \(r.status)")
            if e.mustFail {
                XCTAssertEqual(r.status, 1, e.file)
            } else {
                // Reading is not validating: an input that reads may still be refused as a model.
                XCTAssertTrue([0, 1].contains(r.status), "\(e.file): status \(r.status)")
            }
        }
    }
}
