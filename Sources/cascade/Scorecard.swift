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

            With --ensemble (a calibrated ensemble, e.g. models/calibration/ensemble.tsv, its ids \
            mapped to model parameters by mapping.tsv beside it or --mapping), the scorecard also runs \
            for every member: each finding and check gets the share of members that reproduce it, \
            and the summary the mean number of counted findings reproduced per member and the \
            findings that hold in at least 80% of members. JSON adds an "ensemble" object to each \
            addressed finding. A member whose simulation fails is listed with the reason and left \
            out of the shares.

              cascade scorecard --ensemble models/calibration/ensemble.tsv
            """)

    @Option(help: ArgumentHelp("The model (.ant or .xml); models/ketamine.ant when omitted.", valueName: "file"))
    var model: String?
    @Option(help: ArgumentHelp("The scorecard (YAML); models/scorecard.yaml when omitted.", valueName: "file"))
    var scorecard: String?
    @OptionGroup(title: "Output") var output: FormattedOutput<ScorecardFormat>
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @OptionGroup(title: "Ensemble") var ensemble: EnsembleOptions

    func run() throws {
        let model = try self.model ?? Defaults.model("ketamine.ant")
        let scorecard = try self.scorecard ?? Defaults.model("scorecard.yaml")
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        guard FileManager.default.fileExists(atPath: scorecard) else { throw Failure("\(scorecard): no such file") }
        let card: Scorecard
        do {
            card = try Scorecard.load(contentsOf: URL(fileURLWithPath: scorecard))
        } catch let e as ProtocolError {
            throw Failure(e.description)
        }
        // The ensemble's files are read and checked before any simulation.
        let members = try ensemble.variants(settable: { compiled.inputPosition($0) != nil }, known: compiled.reportableIds)
        let results: [Scorecard.FindingResult]
        var run: Scorecard.EnsembleRun?
        do {
            if ensemble.ensemble != nil {
                let both = try card.runEnsemble(
                    on: m, members: members.members, ensembleFile: members.ensemble, mappingFile: members.mapping, threads: threads.count)
                results = both.results
                run = both.run
            } else {
                results = try card.run(on: m, threads: threads.count)
            }
        } catch let e as ProtocolError {
            throw Failure("\(scorecard): \(e.description)")
        }
        try output.write(output.format == .json ? Scorecard.json(results, ensemble: run) : Scorecard.table(results, ensemble: run))
    }
}
