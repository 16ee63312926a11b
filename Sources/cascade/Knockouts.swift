import ArgumentParser
import CascadeExperiments
import CascadeReports
import CascadeSolver
import Foundation

struct Knockouts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the inhibitor knockout screen: which readouts does ketamine still change under each inhibitor?",
        discussion: """
            With no file, runs models/experiments/knockout_screen.yaml. For every condition, ketamine and \
            vehicle are simulated under the same inhibitors; each readout at each time gets vehicle and \
            treated values, log2 fold change, the share of the uninhibited effect retained, and a call: \
            changed (≥ 75% retained), partial, blocked (≤ 25% retained, or below the 1.25-fold detection \
            threshold), or unchanged (no effect without inhibitors either). Thresholds: the experiment's \
            `calls` or the options below.
            """)

    @Argument(help: "The experiment file; models/experiments/knockout_screen.yaml when omitted.") var experiment: String?
    @OptionGroup(title: "Output") var output: FormattedOutput<ReportFormat>
    @Option(name: .customLong("minimum-fold"), help: "Smallest fold change counted as a change, for every readout (replaces the assays' own minimum_fold).")
    var minimumFold: Double?
    @Option(name: .customLong("retained-changed"), help: "Share retained at or above which the call is changed.") var retainedChanged: Double?
    @Option(name: .customLong("retained-blocked"), help: "Share retained at or below which the call is blocked.") var retainedBlocked: Double?
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @Option(help: ArgumentHelp("Also write a self-contained HTML report (heat maps and trajectories) to FILE.", valueName: "file")) var html: String?
    @OptionGroup(title: "Ensemble") var ensemble: EnsembleOptions

    func validate() throws {
        if let f = minimumFold, !(f > 1) { throw ValidationError("--minimum-fold must be above 1") }
    }

    func run() throws {
        let path = try experiment ?? Defaults.model("experiments/knockout_screen.yaml")
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
        try checkOutputs(output.output, html)
        var e = try Experiment.load(URL(fileURLWithPath: path))
        if let f = minimumFold { e.setUniformMinimumFold(f) }
        if let r = retainedChanged { e.thresholds.retainedChanged = r }
        if let r = retainedBlocked { e.thresholds.retainedBlocked = r }
        guard e.thresholds.retainedBlocked < e.thresholds.retainedChanged else {
            throw Failure("--retained-blocked must be below --retained-changed")
        }
        let plot = html == nil ? [] : ScreenReport.plotTimes(from: e.protocolSteps.firstTime, until: e.readoutTimes.last ?? 0)
        var result = try KnockoutScreen.run(e, threads: threads.count, plotTimes: plot)
        try ensemble.apply(to: &result, experiment: e, threads: threads.count)
        if let html {
            try writeOutput(ScreenReport.html(result, title: "Knockout screen", experimentFile: path), to: html)
        }
        let text: String
        switch output.format {
        case .json: text = result.json()
        case .csv: text = result.csv()
        case .table: text = result.table()
        }
        try output.write(text)
    }
}
