import ArgumentParser
import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadeReports
import Foundation

/// `cascade scorecard`: runs the literature scorecard on the ketamine model.
struct ScorecardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorecard",
        abstract: "Run the literature scorecard: which published findings the model reproduces.",
        discussion: """
            Prints one line per finding (F1, F2, ...): reproduced or not, with the simulated figures; \
            findings the model cannot address are listed with the reason. The exit code is 0 even \
            when some findings are not reproduced (1 only for unreadable files or failed runs). \
            --format json prints a list of {"id", "reproduced", "addressed", "basis", "counted", "set", \
            "claim", "figure", "note"}; further checks beyond the literature findings (set: further) are \
            listed after them and scored apart ("further: M of K").

            Example:
              cascade scorecard --format json
            """)

    @Option(help: ArgumentHelp("The model (.ant or .xml); models/ketamine.ant when omitted.", valueName: "file"))
    var model: String?
    @Option(help: ArgumentHelp("The scorecard (YAML); models/scorecard.yaml when omitted.", valueName: "file"))
    var scorecard: String?
    @OptionGroup(title: "Output") var output: FormattedOutput<ScorecardFormat>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func run() throws {
        let model = try self.model ?? Defaults.model("ketamine.ant")
        let scorecard = try self.scorecard ?? Defaults.model("scorecard.yaml")
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
            results = try card.run(on: m, threads: threads.count)
        } catch let e as ProtocolError {
            throw Failure("\(scorecard): \(e.description)")
        }
        try output.write(output.format == .json ? Scorecard.json(results) : Scorecard.table(results))
    }
}
