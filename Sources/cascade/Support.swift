import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadeSolver
import Foundation

/// A failure with a message meant for the person at the terminal.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// One readable sentence (or block, for source errors with carets) per error.
func describe(_ error: Error) -> String {
    switch error {
    case let e as SourceErrors: return e.description
    case let e as SourceError: return e.description
    case let e as ModelErrors: return e.errors.map { "model: \($0.description)" }.joined(separator: "\n")
    case let e as CustomStringConvertible: return e.description
    default: return "\(error)"
    }
}

/// Reads a model from a text (.ant) or SBML (.xml, .sbml) file and validates it.
func loadModel(_ path: String) throws -> Model {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
    let model: Model
    switch url.pathExtension.lowercased() {
    case "xml", "sbml":
        model = try SBML.read(contentsOf: url)
        do { try model.validate() } catch let e as ModelErrors {
            throw Failure(e.errors.map { "\(path): \($0.description)" }.joined(separator: "\n"))
        }
    default:
        model = try Antimony.parse(contentsOf: url)
    }
    return model
}

/// Compiles, reporting compile errors with the file name.
func compile(_ model: Model, path: String) throws -> CompiledModel {
    do {
        return try CompiledModel(model)
    } catch let e as ModelErrors {
        throw Failure(e.errors.map { "\(path): \($0.description)" }.joined(separator: "\n"))
    } catch let e as CompileError {
        throw Failure("\(path): \(e.description)")
    } catch let e as SimulationError {
        throw Failure("\(path): \(e.description)")
    }
}

/// Writes `text` to `path` through `OutputFile` (whole or not at all, never over a directory or
/// an input, locked against another run), or to stdout.
func writeOutput(_ text: String, to path: String?, updatingInput: Bool = false) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    try OutputFile(path).write(text, updatingInput: updatingInput)
}

/// Refuses unusable output paths (a directory, a missing folder) before any work is done.
func checkOutputs(_ paths: String?...) throws {
    for case let p? in paths { _ = try OutputFile(p) }
}

/// Number text that reads back exactly.
func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return "\(v)"
}

/// Renders a trajectory as CSV, TSV or JSON.
func render(_ traj: Trajectory, format: String, header: [String]) -> String {
    switch format {
    case "json":
        var rows: [String] = []
        for r in 0 ..< traj.rowCount {
            let vals = [traj.times[r]] + (0 ..< traj.columns.count).map { traj[r, $0] }
            rows.append("[" + vals.map { v in v.isFinite ? formatNumber(v) : "null" }.joined(separator: ", ") + "]")
        }
        let cols = header.map { "\"\(jsonEscape($0))\"" }.joined(separator: ", ")
        return "{\"columns\": [\(cols)],\n \"rows\": [\n  " + rows.joined(separator: ",\n  ") + "\n]}\n"
    default:
        let sep = format == "tsv" ? "\t" : ","
        var out = header.joined(separator: sep) + "\n"
        for r in 0 ..< traj.rowCount {
            let vals = [traj.times[r]] + (0 ..< traj.columns.count).map { traj[r, $0] }
            out += vals.map(formatNumber).joined(separator: sep) + "\n"
        }
        return out
    }
}

/// A path relative to the working directory, or found above the binary (for running from anywhere).
func findRelative(_ relative: String) -> String {
    if FileManager.default.fileExists(atPath: relative) { return relative }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0 ..< 5 {
        let candidate = dir.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        dir = dir.deletingLastPathComponent()
    }
    return relative
}
