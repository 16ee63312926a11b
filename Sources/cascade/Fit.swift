import ArgumentParser
import CascadeEstimation
import CascadeExperiments
import CascadeFormats
import CascadeReports
import CascadeSolver
import Foundation

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a PEtab problem's estimated parameters by multi-start local optimisation.",
        discussion: """
            Starts are seeded Latin hypercube samples within the parameters' bounds, on their scales \
            (lin, log, log10); each runs a trust-region reflective optimiser with the Fisher-information \
            (Gauss-Newton) Hessian until 20 successive iterations leave the trust radius unchanged and BFGS updates from there \
            (--hybrid, --hybrid-rule, --hybrid-start: fides' HybridFixed), starts in parallel. Gradients and the Fisher information come from \
            forward sensitivities (CVODES).

            Writes DIR/starts.tsv (one row per start, best first: start, llh, iterations, evaluations, \
            seconds, exit reason, parameters on the linear scale), DIR/parameters.tsv (the parameter \
            table with the best values as nominalValue), DIR/fit.json and DIR/report.html.

            --shard i/n runs every n-th start from start i (0 ≤ i < n) of the same sample; `cascade \
            merge DIR0 DIR1 ... --output DIR --problem PROBLEM.yaml` joins the shards into what the \
            unsharded fit writes (apart from seconds). Every finished start is appended to \
            DIR/starts.partial.tsv; --resume continues from it after an interruption.

            Example:
              cascade fit Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml --starts 50 --output boehm-fit
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: "Number of starts, all shards together.") var starts: Int = 100
    @Option(help: "Seed of the start sample.") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Run only slice i of n of the starts (0 ≤ i < n).", valueName: "i/n")) var shard: String?
    @Flag(help: "Continue from DIR/starts.partial.tsv, skipping the starts it holds.") var resume = false
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var output: String
    @Option(
        help: ArgumentHelp(
            "Write every optimiser iteration of every start to this tab-separated file (start, iteration, value, trial value, radius, step norm, predicted change, ratio, accepted, Hessian kind, step kind).",
            valueName: "file"))
    var trace: String?
    @Option(
        name: .customLong("resample-attempts"),
        help: "Replacement points drawn, at most, for a start whose sampled point cannot be simulated (non-finite llh); 0 keeps every sampled point.")
    var resampleAttempts: Int = 20
    @Flag(name: .customLong("no-report"), help: "Do not write report.html.") var noReport = false
    @OptionGroup(title: "Optimiser") var optimizer: OptimizerFlags<FitOptimizerDefaults>
    @OptionGroup(title: "Solver") var solver: SolverFlags<FitSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        guard starts > 0 else { throw ValidationError("--starts must be positive") }
        guard resampleAttempts >= 0 else { throw ValidationError("--resample-attempts must not be negative") }
        if let s = shard, Shard(s) == nil { throw ValidationError("--shard expects i/n with 0 ≤ i < n, got '\(s)'") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        var settings = FitSettings()
        settings.starts = starts
        settings.seed = seed
        settings.resampleAttempts = resampleAttempts
        settings.threads = threads.count
        settings.shard = shard.flatMap(Shard.init).map { (index: $0.index, count: $0.count) }
        settings.solver = solver.options()
        let estimation = try EstimationProblem(contentsOf: url, options: settings.solver)
        optimizer.apply(to: &settings.optimizer)
        settings.sigmaCurvature = optimizer.withSigmaCurvature
        let directory = URL(fileURLWithPath: output)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw Failure("\(output): exists and is not a directory")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let checkpoint = directory.appendingPathComponent(FitFiles.checkpointFile)
        var traceWriter: TraceWriter?
        if let trace {
            guard FileManager.default.createFile(atPath: trace, contents: Data((TrustRegionIteration.header + "\n").utf8)),
                let handle = FileHandle(forWritingAtPath: trace)
            else { throw Failure("\(trace): cannot be written") }
            handle.seekToEndOfFile()
            let writer = TraceWriter(handle)
            traceWriter = writer
            settings.trace = { writer.write($0.row + "\n") }
        }
        defer { traceWriter?.close() }
        let terminal = isatty(2) != 0
        let started = Date()
        let outcome = try Fitting.run(estimation, settings: settings, checkpoint: checkpoint, resume: resume) { done, total, best in
            guard terminal else { return }
            let bestText = best.map { String(format: "%.6g", $0) } ?? "-"
            let line = String(format: "\rfit: %d/%d starts, best llh %@, %.1f s ", done, total, bestText, Date().timeIntervalSince(started))
            FileHandle.standardError.write(Data(line.utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        try Fitting.write(outcome, problem: estimation, to: directory)
        if !noReport {
            try writeFitReport(
                outcome.results, summary: outcome.summary, problem: estimation, profiles: [],
                solver: settings.solver, to: directory.appendingPathComponent("report.html"))
        }
        try? FileManager.default.removeItem(at: checkpoint)
        let s = outcome.summary
        print(
            String(
                format: "fit: best llh %@ (start %@), %d of %d starts converged, %d at the best, %.1f s",
                s.best_llh.map { String(format: "%.6f", $0) } ?? "none", s.best_start.map(String.init) ?? "-",
                s.converged, s.starts, s.at_best, s.seconds))
    }
}

/// Appends lines to a trace file from the starts' threads, one line at a time.
final class TraceWriter: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(_ handle: FileHandle) { self.handle = handle }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data(line.utf8))
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        try? handle.close()
    }
}

/// Writes report.html for a fit (and its profiles): the curves are simulated at the best start.
func writeFitReport(
    _ results: [StartResult], summary: FitFiles.Summary?, problem: EstimationProblem,
    profiles: [ParameterProfile], best: [Double]? = nil, solver: SolverOptions, to url: URL
) throws {
    let point = best ?? FitFiles.ordered(results).first { $0.value.isFinite }?.x
    var curves: [FitCurve] = []
    if let point {
        // A failed simulation leaves the fits section out rather than failing the report.
        curves = (try? problem.curves(point, options: solver)) ?? []
    }
    let title = "Fit of " + problem.url.deletingPathExtension().lastPathComponent
    let html = FitReport.html(
        FitReport.Input(
            title: title, space: problem.space, results: results, summary: summary,
            curves: curves, profiles: profiles))
    try html.write(to: url, atomically: true, encoding: .utf8)
}
