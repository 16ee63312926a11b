import ArgumentParser
import CascadeExperiments
import Foundation

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment's sweep (parameters, concentrations, lines) on all cores.",
        discussion: """
            Results stream to a checkpoint beside the output as simulations finish and the output \
            appears, whole, when all are done. A failed simulation is recorded with its reason. \
            After an interruption, --resume continues from the checkpoint. --shard i/n runs a \
            deterministic slice; `cascade merge` joins the slices into the unsharded result.
            """)

    @Argument(help: "The experiment file with a `sweep` section.") var experiment: String
    @Option(help: ArgumentHelp("The output CSV file.", valueName: "file")) var output: String
    @Option(help: ArgumentHelp("Run only slice i of n (0 ≤ i < n).", valueName: "i/n")) var shard: String?
    @Flag(help: "Continue an interrupted sweep from its checkpoint.") var resume = false
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        if let s = shard, Shard(s) == nil { throw ValidationError("--shard expects i/n with 0 ≤ i < n, got '\(s)'") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: experiment) else { throw Failure("\(experiment): no such file") }
        let e = try Experiment.load(URL(fileURLWithPath: experiment))
        let plan = try e.sweepPlan()
        let summary = try SweepRunner.run(plan, output: URL(fileURLWithPath: output), shard: shard.flatMap(Shard.init),
                                          resume: resume, threads: threads.count, progress: quiet ? nil : ProgressBar())
        let msg = String(format: "sweep: %d simulated, %d failed, %d resumed, %.2f s\n",
                         summary.completed, summary.failed, summary.resumed, summary.seconds)
        FileHandle.standardError.write(Data(msg.utf8))
    }
}
