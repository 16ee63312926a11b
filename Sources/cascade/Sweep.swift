import ArgumentParser
import CascadeExperiments
import CascadeReports
import Foundation

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment's sweep (parameters, concentrations, lines) on all cores.",
        discussion: """
            Results stream to a checkpoint beside the output as simulations finish and the output \
            appears, whole, when all are done. A failed simulation is recorded with its reason. \
            After an interruption, --resume continues from the checkpoint. --shard i/n runs a \
            deterministic slice; `cascade merge` joins the slices into the unsharded result.

            Every simulation starts the experiment's `settle` time (default 5 d) before the first \
            protocol step, so its values include that settling (unlike `cascade simulate`, which \
            starts at 0); OUTPUT.meta.json records settle_s, start_s, the arms and the tolerances. \
            --fold-changes FILE writes, for every line, axis point, time and readout, the treated \
            arm against the vehicle arm (log2 fold change), the call and its confidence.

            Two runs cannot write one output: the second is refused while the first holds its lock.

            Exit status: 0 when the sweep ran, also when some simulations failed (each failure is a \
            row whose status column reads `failed: <reason>`, and the summary on standard error \
            counts them); 1 when every simulation failed (the output is still written) or the \
            sweep could not run (bad input, unusable output, a checkpoint of another sweep).
            """)

    @Argument(help: "The experiment file with a `sweep` section.") var experiment: String
    @Option(help: ArgumentHelp("The output CSV file.", valueName: "file")) var output: String
    @Option(help: ArgumentHelp("Run only slice i of n (0 ≤ i < n).", valueName: "i/n")) var shard: String?
    @Flag(help: "Continue an interrupted sweep from its checkpoint.") var resume = false
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @Flag(help: "No progress bar.") var quiet = false
    @Option(
        name: .customLong("fold-changes"),
        help: ArgumentHelp("Also write treated vs vehicle fold changes and calls to FILE (needs both arms, no --shard).", valueName: "file"))
    var foldChanges: String?

    func validate() throws {
        if let s = shard, Shard(s) == nil { throw ValidationError("--shard expects i/n with 0 ≤ i < n, got '\(s)'") }
        if shard != nil && foldChanges != nil { throw ValidationError("--fold-changes needs the whole sweep: merge the shards, then run without --shard") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: experiment) else { throw Failure("\(experiment): no such file") }
        try checkOutputs(output)
        let e = try Experiment.load(URL(fileURLWithPath: experiment))
        let plan = try e.sweepPlan()
        let summary = try SweepRunner.run(
            plan, output: URL(fileURLWithPath: output), shard: shard.flatMap(Shard.init),
            resume: resume, threads: threads.count, progress: quiet ? nil : ProgressBar())
        try writeOutput(metadataJSON(e.sweepMetadata(options: plan.options)), to: output + ".meta.json")
        if let foldChanges {
            let text = try String(contentsOf: URL(fileURLWithPath: output), encoding: .utf8)
            try writeOutput(try SweepEffects.from(csv: text, experiment: e).csv(), to: foldChanges)
        }
        let msg = String(
            format: "sweep: %d simulated, %d failed, %d resumed, %.2f s\n",
            summary.completed, summary.failed, summary.resumed, summary.seconds)
        if summary.failed > 0, summary.completed == 0, summary.resumed == 0 {
            throw Failure(
                String(
                    format: "every one of the %d simulations failed (%.2f s); the reasons are in the status column of %@",
                    summary.failed, summary.seconds, output))
        }
        FileHandle.standardError.write(Data(msg.utf8))
    }
}
