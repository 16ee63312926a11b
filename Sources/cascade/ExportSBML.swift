import ArgumentParser
import CascadeFormats
import Foundation

struct ExportSBML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sbml",
        abstract: "Write a model as SBML Level 3 Version 2.")

    @Argument(help: "The model file (.ant or .xml).") var model: String
    @OptionGroup(title: "Output") var output: OutputOption

    func run() throws {
        try checkOutputs(output.output)
        let m = try ModelFile.load(path: model)
        try output.write(SBML.write(m))
    }
}
