import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

/// A PEtab problem loaded for estimation: its estimated parameters and its likelihood.
public final class EstimationProblem: @unchecked Sendable {
    public let url: URL
    public let problem: PEtabProblem
    public let space: ParameterSpace
    public let likelihood: PEtabObjective

    /// Reads and checks the problem (bounds, scales, ids: errors name file, line and column) and
    /// compiles its model and formulas. `options` are the simulations' settings.
    public init(contentsOf url: URL, options: SolverOptions = FitSettings().solver) throws {
        self.url = url
        problem = try PEtabProblem(contentsOf: url)
        likelihood = try PEtabObjective(problem, options: options)
        space = try ParameterSpace(problem.parameters, file: problem.parameterFile)
        guard space.dimension > 0 else {
            throw PEtabError(file: problem.parameterFile, "no parameter is estimated (estimate = 1): nothing to fit")
        }
    }

    /// The llh at the nominal values, or nil when it is not finite there.
    public func nominalLLH() -> Double? {
        guard space.nominal.allSatisfy(\.isFinite) else { return nil }
        let v = objective().evaluate(space.nominal, derivatives: false).value
        return v.isFinite ? -v : nil
    }

    /// An optimiser's objective (one per thread; they share the compiled likelihood).
    public func objective(threads: Int = 1, sigmaCurvature: Bool = true) -> LikelihoodObjective {
        LikelihoodObjective(likelihood, threads: threads, sigmaCurvature: sigmaCurvature)
    }
}

/// Settings of a multi-start fit.
public struct FitSettings: Sendable {
    public var starts = 100
    public var seed: UInt64 = 0
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Shard index (0 ≤ index < count) and shard count.
    public var shard: (index: Int, count: Int)?
    public var optimizer = TrustRegionOptions()
    public var solver: SolverOptions
    /// Replacement points drawn, at most, for a start whose sampled point has a non-finite
    /// objective (the model cannot be integrated there); 0 keeps every sampled point.
    public var resampleAttempts = 20
    /// Called after every optimiser iteration of every start (from the starts' threads).
    public var trace: (@Sendable (TrustRegionIteration) -> Void)?
    /// Whether the Hessian approximation includes Σ ∇log σ ∇log σᵀ (`LikelihoodObjective`).
    public var sigmaCurvature = true

    public init() {
        solver = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 100_000)
        // The optimiser's own defaults: fides' rules (`TrustRegionOptions`), as for profiles.
    }

    /// What the results depend on (part of the fingerprint of checkpoints and shards). A rule
    /// adds its text only when it differs from the earlier rules, so fingerprints written before
    /// fides' rules became the defaults still read the same.
    var identity: String {
        let o = optimizer
        return
            "\(solver.relativeTolerance)|\(solver.absoluteTolerance)|\(solver.maxSteps)|\(o.maxIterations)|\(o.absoluteTolerance)|\(o.relativeTolerance)|\(o.gradientTolerance)|\(o.bfgs)|\(o.hybridSwitch ?? 0)|resample \(resampleAttempts)"
            + (o.hybridRule == .iteration ? "" : "|hybrid-rule \(o.hybridRule.rawValue)")
            + (o.hybridStart == .hessian ? "" : "|hybrid-start \(o.hybridStart.rawValue)")
            + (o.functionTest == .interior ? "" : "|function-test \(o.functionTest.rawValue)")
            + (sigmaCurvature ? "" : "|no sigma curvature")
            + (o.subspace == .full ? "" : "|subspace \(o.subspace.rawValue)")
    }
}

/// The outcome of `Fitting.run` or `Fitting.merge`, ready to be written.
public struct FitOutcome: Sendable {
    public var space: ParameterSpace
    public var results: [StartResult]
    public var summary: FitFiles.Summary

    public var best: StartResult? { FitFiles.ordered(results).first { $0.value.isFinite } }
}

/// Multi-start fits of PEtab problems, sharded and resumable.
public enum Fitting {
    /// Progress of a running fit: starts done (including resumed ones), starts to do, best llh.
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ bestLLH: Double?) -> Void

    /// Runs the fit's starts (its shard's, when sharded). With a `checkpoint` file, every finished
    /// start is appended to it, and with `resume` the starts it already holds are not run again.
    public static func run(
        _ problem: EstimationProblem, settings: FitSettings, checkpoint: URL? = nil, resume: Bool = false,
        progress: Progress? = nil
    ) throws -> FitOutcome {
        let clock = Date()
        let space = problem.space
        let points = LatinHypercube.sample(count: settings.starts, lower: space.lower, upper: space.upper, seed: settings.seed)
        let indices =
            settings.shard.map { MultiStart.shard(count: settings.starts, index: $0.index, of: $0.count) }
            ?? Array(0 ..< settings.starts)
        let fingerprint = FitFiles.fingerprint(
            problem: problem.url, seed: settings.seed, starts: settings.starts,
            settings: settings.identity)
        let marker = "# fingerprint \(fingerprint) shard \(settings.shard.map { "\($0.index)/\($0.count)" } ?? "none")"
        var done: [StartResult] = []
        if let checkpoint, resume, FileManager.default.fileExists(atPath: checkpoint.path) {
            let text = try String(contentsOf: checkpoint, encoding: .utf8)
            let first = text.prefix { $0 != "\n" }
            guard first == marker else {
                throw PEtabError(
                    file: checkpoint.path, line: 1,
                    "the checkpoint was made from other inputs or settings (problem files, seed, starts, shard or tolerances differ); remove it or run without --resume"
                )
            }
            let wanted = Set(indices)
            done = try FitFiles.readStarts(text, space: space, file: checkpoint.path).filter { wanted.contains($0.index) }
        }
        let finishedIndices = Set(done.map(\.index))
        let todo = indices.filter { !finishedIndices.contains($0) }
        var handle: FileHandle?
        if let checkpoint {
            if done.isEmpty {
                try (marker + "\n" + FitFiles.header(space) + "\n").write(to: checkpoint, atomically: true, encoding: .utf8)
            }
            handle = try FileHandle(forWritingTo: checkpoint)
            handle?.seekToEndOfFile()
        }
        final class State: @unchecked Sendable {
            var count: Int
            var best: Double?
            init(count: Int, best: Double?) { self.count = count; self.best = best }
        }
        let state = State(count: done.count, best: done.map(\.value).filter(\.isFinite).min())
        let total = indices.count
        progress?(state.count, total, state.best.map { -$0 })
        let writer = handle
        let fresh = try MultiStart.run(
            points: points, indices: todo, lower: space.lower, upper: space.upper, threads: settings.threads,
            optimizer: TrustRegionOptimizer(options: settings.optimizer, trace: settings.trace), resampleAttempts: settings.resampleAttempts,
            seed: settings.seed, makeObjective: { [sigmaCurvature = settings.sigmaCurvature] in problem.objective(sigmaCurvature: sigmaCurvature) },
            finished: { r in
                writer?.write(Data((FitFiles.resampleNote(r).map { $0 + "\n" } ?? "").utf8))
                writer?.write(Data((FitFiles.row(r, space: space) + "\n").utf8))
                try? writer?.synchronize()
                state.count += 1
                if r.value.isFinite { state.best = min(state.best ?? r.value, r.value) }
                progress?(state.count, total, state.best.map { -$0 })
            })
        try handle?.close()
        let results = done + fresh
        let nominal = problem.nominalLLH()
        let summary = FitFiles.summary(
            results, space: space, seconds: Date().timeIntervalSince(clock),
            problem: problem.url.path, seed: settings.seed, totalStarts: settings.starts,
            shard: settings.shard.map { "\($0.index)/\($0.count)" }, fingerprint: fingerprint,
            nominalLLH: nominal)
        return FitOutcome(space: space, results: results, summary: summary)
    }

    /// Writes starts.tsv, parameters.tsv and fit.json into `directory` (each atomically).
    public static func write(_ outcome: FitOutcome, problem: EstimationProblem, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let starts = FitFiles.startsTable(outcome.results, space: outcome.space)
        let parameters = FitFiles.parameterTable(problem.problem.parameters, best: outcome.best, space: outcome.space)
        let json = try FitFiles.json(outcome.summary)
        try starts.write(to: directory.appendingPathComponent(FitFiles.startsFile), atomically: true, encoding: .utf8)
        try parameters.write(to: directory.appendingPathComponent(FitFiles.parametersFile), atomically: true, encoding: .utf8)
        try json.write(to: directory.appendingPathComponent(FitFiles.summaryFile), atomically: true, encoding: .utf8)
    }

    /// Joins the outputs of the shards of one fit (`--shard i/n` for every i of the same n, same
    /// problem, seed, starts and settings) into the unsharded result.
    public static func merge(_ directories: [URL], problem: EstimationProblem) throws -> FitOutcome {
        var summaries: [(URL, FitFiles.Summary)] = []
        for d in directories {
            let file = d.appendingPathComponent(FitFiles.summaryFile)
            guard let data = try? Data(contentsOf: file) else { throw PEtabError(file: file.path, "no such file (not a fit output directory?)") }
            do { summaries.append((d, try JSONDecoder().decode(FitFiles.Summary.self, from: data))) } catch {
                throw PEtabError(file: file.path, "not a fit summary: \(error)")
            }
        }
        guard let first = summaries.first?.1 else { throw PEtabError(file: "merge", "no shard directories given") }
        var shardCount: Int?
        var seen = Set<Int>()
        var results: [StartResult] = []
        var seconds = 0.0
        var resamples: [String: Int]?
        for (d, s) in summaries {
            let file = d.appendingPathComponent(FitFiles.summaryFile).path
            guard s.seed == first.seed, s.total_starts == first.total_starts else {
                throw PEtabError(file: file, "seed \(s.seed) and starts \(s.total_starts) differ from the first shard's (\(first.seed), \(first.total_starts))")
            }
            guard let shard = s.shard, let slash = shard.firstIndex(of: "/"), let i = Int(shard[..<slash]),
                let n = Int(shard[shard.index(after: slash)...])
            else {
                throw PEtabError(file: file, "not a shard (run with --shard i/n)")
            }
            if let c = shardCount, c != n { throw PEtabError(file: file, "shard \(shard) is not one of \(c) shards") }
            shardCount = n
            guard seen.insert(i).inserted else { throw PEtabError(file: file, "shard \(shard) is given twice") }
            guard s.fingerprint == first.fingerprint else {
                throw PEtabError(file: file, "made from other inputs or settings than the first shard (fingerprint \(s.fingerprint), not \(first.fingerprint))")
            }
            let startsURL = d.appendingPathComponent(FitFiles.startsFile)
            guard let text = try? String(contentsOf: startsURL, encoding: .utf8) else { throw PEtabError(file: startsURL.path, "no such file") }
            let rows = try FitFiles.readStarts(text, space: problem.space, file: startsURL.path)
            let expected = Set(MultiStart.shard(count: s.total_starts, index: i, of: n))
            guard Set(rows.map(\.index)) == expected else {
                throw PEtabError(file: startsURL.path, "holds starts other than shard \(shard)'s (incomplete run?)")
            }
            results += rows
            seconds += s.seconds
            if let r = s.resamples { resamples = (resamples ?? [:]).merging(r) { a, _ in a } }
        }
        if let n = shardCount, seen.count != n {
            let missing = (0 ..< n).filter { !seen.contains($0) }.map { "\($0)/\(n)" }.joined(separator: ", ")
            throw PEtabError(file: "merge", "shard\(missing.contains(",") ? "s" : "") \(missing) missing")
        }
        let summary = FitFiles.summary(
            results, space: problem.space, seconds: seconds, problem: problem.url.path,
            seed: first.seed, totalStarts: first.total_starts, shard: nil,
            fingerprint: first.fingerprint, nominalLLH: first.nominal_llh, resamples: resamples)
        return FitOutcome(space: problem.space, results: results, summary: summary)
    }
}
