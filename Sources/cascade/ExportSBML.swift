import ArgumentParser
import CascadeFormats
import Foundation

struct ExportSBML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sbml",
        abstract: "Write a model as SBML Level 3 Version 2.")

    @Argument(help: "The model file (.ant or .xml).") var model: String
    @Option(help: "Write to FILE (atomically) instead of standard output.") var output: String?

    func run() throws {
        try checkOutputs(output)
        let m = try loadModel(model)
        try writeOutput(SBML.write(m), to: output)
    }
}
