import ArgumentParser
import CascadeEstimation
import CascadeExperiments
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the outputs of a sharded sweep or fit (--shard i/n) into the unsharded result.",
        discussion: """
            The merged file equals, byte for byte, what the sweep would have written unsharded. For fits, \
            give the shards' output directories and --problem: the merged directory holds what the \
            unsharded fit writes (seconds summed over the shards).
            """)

    @Argument(help: "The shard output files.") var shards: [String]
    @Option(help: ArgumentHelp("The merged output file (written atomically), or directory for fits.", valueName: "file")) var output: String
    @Option(help: ArgumentHelp("The PEtab problem the fit shards were made from (fits only).", valueName: "file")) var problem: String?

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give at least one shard file") }
    }

    func run() throws {
        try checkOutputs(output)
        for s in shards where !FileManager.default.fileExists(atPath: s) { throw Failure("\(s): no such file") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: shards[0], isDirectory: &isDirectory), isDirectory.boolValue {
            guard let problem else { throw Failure("merging fit shards needs --problem PROBLEM.yaml") }
            let estimation = try EstimationProblem(contentsOf: URL(fileURLWithPath: problem))
            let outcome = try Fitting.merge(shards.map { URL(fileURLWithPath: $0) }, problem: estimation)
            let directory = URL(fileURLWithPath: output)
            try Fitting.write(outcome, problem: estimation, to: directory)
            try writeFitReport(
                outcome.results, summary: outcome.summary, problem: estimation, profiles: [],
                solver: FitSettings().solver, to: directory.appendingPathComponent("report.html"))
            return
        }
        try SweepMerge.merge(shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: output))
    }
}
