import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadeExperiments
import Foundation

/// `cascade scorecard`: runs the literature scorecard on the ketamine model.
struct ScorecardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorecard",
        abstract: "Run the literature scorecard: which published findings the model reproduces.",
        discussion: """
            Prints one line per finding (F1, F2, ...): reproduced or not, with the simulated figures;
            findings the model cannot address are listed with the reason. The exit code is 0 even
            when some findings are not reproduced (1 only for unreadable files or failed runs).
            --format json prints a list of {"id", "reproduced", "addressed", "figure", "note"}.
            Example: cascade scorecard --format json
            """)

    @Option(help: "table or json.") var format: String = "table"
    @Option(help: "The model (.ant or .xml).") var model: String = "models/ketamine.ant"
    @Option(help: "The scorecard (YAML).") var scorecard: String = "models/scorecard.yaml"
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let m = try ModelFile.load(path: model)
        _ = try compile(m, path: model)
        guard FileManager.default.fileExists(atPath: scorecard) else { throw Failure("\(scorecard): no such file") }
        let card: Scorecard
        do {
            card = try Scorecard.load(contentsOf: URL(fileURLWithPath: scorecard))
        } catch let e as ProtocolError {
            throw Failure(e.description)
        }
        let results: [Scorecard.FindingResult]
        do {
            results = try card.run(on: m, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        } catch let e as ProtocolError {
            throw Failure("\(scorecard): \(e.description)")
        }
        try writeOutput(format == "json" ? Scorecard.json(results) : Scorecard.table(results), to: nil)
    }
}
