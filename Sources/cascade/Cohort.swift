import ArgumentParser
import CascadeExperiments
import CascadeReports
import Foundation

struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a virtual cohort and rank the parameters that separate responders from non-responders.",
        discussion: """
            With no file, runs models/experiments/cohort.yaml. Members are sampled log-normally around the \
            nominal values (median = nominal, stated CV per parameter) with the seeded SplitMix64 generator \
            (one stream per member), so the same seed gives the same cohort byte for byte. Each member runs \
            the standard protocol (settled without drug, then ketamine and vehicle arms). The report gives \
            every prediction with its spread (median, 5th-95th percentile), calls only when a stated share of \
            members agrees, and the varied parameters ranked by |AUC - 0.5| between responders and \
            non-responders.

            Formats: table (the report), csv (the ranking), json (the report as JSON: members, seed, varied, \
            predictions, responders, ranking, failures, simulations).
            """)

    @Argument(help: "The cohort experiment file; models/experiments/cohort.yaml when omitted.") var experiment: String?
    @Option(help: "Members; the file's when omitted.") var size: Int?
    @Option(help: "Seed; the file's when omitted.") var seed: UInt64?
    @Option(help: "Readout of the responder outcome; the file's when omitted.") var readout: String?
    @Option(help: ArgumentHelp("Time of the responder outcome, e.g. '2 h'; the file's when omitted.", valueName: "time")) var time: String?
    @OptionGroup(title: "Output") var output: FormattedOutput<ReportFormat>
    @Option(help: ArgumentHelp("Write one CSV row per member (sampled values, outcome, group) to FILE.", valueName: "file")) var members: String?
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        if let s = size, s < 2 { throw ValidationError("--size must be at least 2, got \(s)") }
    }

    func run() throws {
        let path = try experiment ?? Defaults.model("experiments/cohort.yaml")
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
        try checkOutputs(output.output, members)
        let ce = try CohortExperiment.load(URL(fileURLWithPath: path), size: size, seed: seed, readout: readout, time: time)
        let result = try CohortRunner.run(ce, threads: threads.count)
        if let members { try writeOutput(result.membersCSV(), to: members) }
        switch output.format {
        case .table: try output.write(result.table())
        case .csv: try output.write(result.rankingCSV())
        case .json: try output.write(result.json())
        }
    }
}
