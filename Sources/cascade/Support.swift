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
