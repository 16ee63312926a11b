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

    /// Runs the starts `indices` (positions in `points`) on `threads` threads. `makeObjective` is
    /// called once per thread. `finished` is called (serialised) as each start completes.
    public static func run(
        points: [[Double]], indices: [Int], lower: [Double], upper: [Double], threads: Int,
        optimizer: TrustRegionOptimizer,
        makeObjective: @escaping @Sendable () throws -> Objective,
        finished: @escaping @Sendable (StartResult) -> Void
    ) throws -> [StartResult] {
        let results = ParallelRunner(threads: threads).run(
            count: indices.count, worker: makeObjective,
            onResult: { (_, r: Result<StartResult, any Error>) in if case .success(let s) = r { finished(s) } }
        ) { (objective: inout Objective, position: Int) -> StartResult in
            let k = indices[position]
            return StartResult(index: k, optimizer.minimize(objective, from: points[k], lower: lower, upper: upper))
        }
        if let (_, error) = ParallelRunner.firstFailure(results) { throw error }
        return try ParallelRunner.values(results)
    }
}
