import CascadeSolver
import Foundation

/// One start of a multi-start fit.
public struct StartResult: Sendable {
    /// 0-based index of the start among all the fit's starts (shards keep the global index).
    public var index: Int
    /// The final point, on the parameters' scales.
    public var x: [Double]
    /// Negative log-likelihood at `x` (the minimised value).
    public var value: Double
    public var iterations: Int
    public var evaluations: Int
    public var seconds: Double
    public var exit: ExitReason
    /// Replacement start points drawn because the objective was not finite at the sampled one
    /// (0 when the sampled point was usable; nil when not known, as for rows read back from a
    /// table without the record).
    public var resamples: Int?
    /// The parameters on the linear scale exactly as read from a table (set when read back, so
    /// that merged and resumed tables repeat the digits they were given).
    public var linear: [Double]?

    /// The parameters on the linear scale.
    public func linearValues(_ space: ParameterSpace) -> [Double] { linear ?? space.linear(x) }

    public init(index: Int, x: [Double], value: Double, iterations: Int, evaluations: Int, seconds: Double, exit: ExitReason) {
        self.index = index
        self.x = x
        self.value = value
        self.iterations = iterations
        self.evaluations = evaluations
        self.seconds = seconds
        self.exit = exit
    }

    public init(index: Int, _ r: OptimisationResult) {
        self.init(
            index: index, x: r.x, value: r.value, iterations: r.iterations, evaluations: r.evaluations,
            seconds: r.seconds, exit: r.exit)
    }
}

/// Multi-start local optimisation from seeded Latin hypercube samples, starts in parallel.
///
/// Each start's result depends only on its start point, so the results do not depend on the
/// number of threads or on how the starts are sharded.
public enum MultiStart {
    /// Which of `count` starts shard `index` of `shards` (0 ≤ index < shards, as `cascade sweep`
    /// counts) runs: every `shards`-th start, beginning with start `index`.
    public static func shard(count: Int, index: Int, of shards: Int) -> [Int] {
        precondition(shards >= 1 && index >= 0 && index < shards)
        return Array(stride(from: index, to: count, by: shards))
    }

    /// A replacement for start `start`'s point, uniform in the box: draw `attempt` (1, 2, ...)
    /// of a generator seeded from the fit's seed, the start index and the attempt alone, so the
    /// replacements do not depend on threads, shards or the order in which starts run.
    public static func replacement(seed: UInt64, start: Int, attempt: Int, lower: [Double], upper: [Double]) -> [Double] {
        var mixer = SplitMix64(seed: seed)
        var key = mixer.next() ^ UInt64(start)
        mixer = SplitMix64(seed: key)
        key = mixer.next() ^ UInt64(attempt)
        var rng = SplitMix64(seed: key)
        return zip(lower, upper).map { lo, hi in lo + rng.unit() * (hi - lo) }
    }

    /// Start `index` of a fit: the optimiser from `point`, and when it cannot begin there (the
    /// objective or its gradient is not finite at the start: `not_finite` after no iteration),
    /// again from up to `attempts` replacement points in turn (pyPESTO's resampling of unusable
    /// starts). The result is the first usable start's (the last draw's when none is usable),
    /// with the evaluations and seconds of every attempt and the number of replacements drawn.
    public static func minimize(
        _ objective: Objective, from point: [Double], index: Int, optimizer: TrustRegionOptimizer, attempts: Int, seed: UInt64,
        lower: [Double], upper: [Double]
    ) -> StartResult {
        var optimizer = optimizer
        if let trace = optimizer.trace {
            optimizer.trace = { trace(TrustRegionIteration(start: index, $0)) }
        }
        var r = optimizer.minimize(objective, from: point, lower: lower, upper: upper)
        var evaluations = r.evaluations, seconds = r.seconds, drawn = 0
        while r.exit == .notFinite && r.iterations == 0 && drawn < attempts {
            drawn += 1
            let p = replacement(seed: seed, start: index, attempt: drawn, lower: lower, upper: upper)
            r = optimizer.minimize(objective, from: p, lower: lower, upper: upper)
            evaluations += r.evaluations
            seconds += r.seconds
        }
        var result = StartResult(index: index, r)
        result.evaluations = evaluations
        result.seconds = seconds
        result.resamples = drawn
        return result
    }

    /// Runs the starts `indices` (positions in `points`) on `threads` threads. `makeObjective` is
    /// called once per thread. `finished` is called (serialised) as each start completes. A start
    /// whose point is unusable is moved to a replacement point (`minimize(_:from:index:...)`,
    /// up to `resampleAttempts` draws seeded with `seed`).
    public static func run(
        points: [[Double]], indices: [Int], lower: [Double], upper: [Double], threads: Int,
        optimizer: TrustRegionOptimizer, resampleAttempts: Int = 0, seed: UInt64 = 0,
        makeObjective: @escaping @Sendable () throws -> Objective,
        finished: @escaping @Sendable (StartResult) -> Void
    ) throws -> [StartResult] {
        let results = ParallelRunner(threads: threads).run(
            count: indices.count, worker: makeObjective,
            onResult: { (_, r: Result<StartResult, any Error>) in if case .success(let s) = r { finished(s) } }
        ) { (objective: inout Objective, position: Int) -> StartResult in
            let k = indices[position]
            return minimize(
                objective, from: points[k], index: k, optimizer: optimizer, attempts: resampleAttempts, seed: seed, lower: lower,
                upper: upper)
        }
        if let (_, error) = ParallelRunner.firstFailure(results) { throw error }
        return try ParallelRunner.values(results)
    }
}
