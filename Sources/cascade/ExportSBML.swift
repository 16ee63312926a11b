import ArgumentParser
import CascadeFormats
import Foundation

struct ExportSBML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sbml",
        abstract: "Write a model as SBML Level 3 Version 2 (an Antimony file's comments become notes).")

    @Argument(help: "The model file (.ant or .xml).") var model: String
    @OptionGroup(title: "Output") var output: OutputOption

    func run() throws {
        try checkOutputs(output.output)
        let m = try ModelFile.load(path: model)
        // An Antimony file's comments travel as notes: the header for the model, a comment after
        // a statement for the element the statement is about.
        let url = URL(fileURLWithPath: model)
        if !["xml", "sbml"].contains(url.pathExtension.lowercased()),
            let text = try? String(contentsOf: url, encoding: .utf8)
        {
            try output.write(SBML.write(m, notes: Antimony.notes(in: text, for: m)))
        } else {
            try output.write(SBML.write(m))
        }
    }
}
