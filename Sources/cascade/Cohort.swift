import ArgumentParser
import CascadeExperiments
import Foundation

struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a virtual cohort and rank the parameters that separate responders from non-responders.",
        discussion: """
            With no file, runs models/experiments/cohort.yaml. Members are sampled log-normally around the
            nominal values (median = nominal, stated CV per parameter) with the seeded SplitMix64 generator (one stream per member),
            so the same seed gives the same cohort byte for byte. Each member runs the standard protocol
            (settled without drug, then ketamine and vehicle arms). The report gives every prediction with its
            spread (median, 5th-95th percentile), calls only when a stated share of members agrees, and the
            varied parameters ranked by |AUC - 0.5| between responders and non-responders.
            """)

    @Argument(help: "The cohort experiment file (default: models/experiments/cohort.yaml).") var experiment: String?
    @Option(help: "Members (default: the file's).") var size: Int?
    @Option(help: "Seed (default: the file's).") var seed: UInt64?
    @Option(help: "Responder outcome readout (default: the file's).") var readout: String?
    @Option(help: "Responder outcome time, e.g. '2 h' (default: the file's).") var time: String?
    @Option(help: "table (report) or csv (the ranking).") var format: String = "table"
    @Option(help: "Write the report to FILE instead of standard output.") var output: String?
    @Option(help: "Write one CSV row per member (sampled values, outcome, group) to FILE.") var members: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard ["table", "csv"].contains(format) else { throw ValidationError("--format must be table or csv") }
        if let s = size, s < 2 { throw ValidationError("--size must be at least 2, got \(s)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let path = experiment ?? findRelative("models/experiments/cohort.yaml")
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
        try checkOutputs(output, members)
        let ce = try CohortExperiment.load(URL(fileURLWithPath: path), size: size, seed: seed, readout: readout, time: time)
        let result = try CohortRunner.run(ce, threads: threads)
        if let members { try writeOutput(result.membersCSV(), to: members) }
        try writeOutput(format == "csv" ? result.rankingCSV() : result.table(), to: output)
    }
}
