import CascadeFormats
import CascadeSolver
import Foundation

/// One point of a profile: the parameter held at `value` (on its scale), the others optimised.
public struct ProfilePoint: Sendable, Hashable {
    public var value: Double
    public var llh: Double
    public var exit: ExitReason
}

/// The profile likelihood of one parameter, and the 95% confidence interval it gives.
public struct ParameterProfile: Sendable {
    public var id: String
    public var index: Int
    /// Points ordered by value, the optimum included.
    public var points: [ProfilePoint]
    public var bestValue: Double
    public var bestLLH: Double
    /// Where the profile crosses `bestLLH − threshold` (on the parameter's scale); nil when it
    /// stays above the threshold up to the bound (the parameter is not identifiable that way).
    public var lower: Double?
    public var upper: Double?
}

/// Profile likelihoods (Raue et al. 2009): each parameter is stepped away from the optimum in
/// both directions, the others re-optimised at each step, until the log-likelihood drops by the
/// 95% threshold of the likelihood-ratio test (χ²₁(0.95)/2 ≈ 1.92) or the bound is reached.
public enum Profiling {
    /// χ²(1 degree of freedom) 95% quantile / 2.
    public static let threshold = 3.841458820694124 / 2

    public struct Options: Sendable {
        /// The optimiser that re-optimises the other parameters at each point: the defaults are
        /// those of `cascade fit` (`TrustRegionOptions`, fides' rules), with fewer iterations
        /// (each point starts next to its optimum, from the previous point's).
        public var optimizer = TrustRegionOptions()
        /// First step, as a fraction of the parameter's range on its scale.
        public var initialStep = 0.01
        public var maxStep = 0.1
        public var maxPointsPerSide = 60
        public init() {
            optimizer.maxIterations = 200
        }
    }

    /// Profiles `indices` (all estimated parameters by default) from the optimum `best` (scaled
    /// coordinates), in parallel over parameters.
    public static func run(
        space: ParameterSpace, best: [Double], indices: [Int]? = nil, threads: Int, options: Options = Options(),
        makeObjective: @escaping @Sendable () throws -> Objective,
        finished: (@Sendable (ParameterProfile) -> Void)? = nil
    ) throws -> [ParameterProfile] {
        let todo = indices ?? Array(0 ..< space.dimension)
        let results = ParallelRunner(threads: threads).run(
            count: todo.count, worker: makeObjective,
            onResult: { (_, r: Result<ParameterProfile, any Error>) in if case .success(let p) = r { finished?(p) } }
        ) { (objective: inout Objective, k: Int) -> ParameterProfile in
            profile(todo[k], space: space, best: best, objective: objective, options: options)
        }
        if let (_, error) = ParallelRunner.firstFailure(results) { throw error }
        return try ParallelRunner.values(results)
    }

    static func profile(_ i: Int, space: ParameterSpace, best: [Double], objective: Objective, options: Options) -> ParameterProfile {
        let n = space.dimension
        let free = (0 ..< n).filter { $0 != i }
        let bestValue = objective.evaluate(best, derivatives: false).value
        let bestLLH = -bestValue
        let range = space.upper[i] - space.lower[i]
        let optimizer = TrustRegionOptimizer(options: options.optimizer)
        var points = [ProfilePoint(value: best[i], llh: bestLLH, exit: .gradient)]
        var crossings: [Double?] = [nil, nil]
        for (side, direction) in [-1.0, 1.0].enumerated() {
            var current = best
            var llh = bestLLH
            var step = options.initialStep * range
            for _ in 0 ..< options.maxPointsPerSide {
                let bound = direction < 0 ? space.lower[i] : space.upper[i]
                var next = current[i] + direction * step
                if direction < 0 ? next <= bound : next >= bound { next = bound }
                let fixed = FixedCoordinatesObjective(objective, free: free, full: current)
                fixed.full[i] = next
                let lower = free.map { space.lower[$0] }, upper = free.map { space.upper[$0] }
                let r = free.isEmpty ? nil : optimizer.minimize(fixed, from: free.map { current[$0] }, lower: lower, upper: upper)
                let x = r.map { fixed.expand($0.x) } ?? fixed.full
                let value = r?.value ?? objective.evaluate(x, derivatives: false).value
                guard value.isFinite else { break }
                let newLLH = -value
                points.append(ProfilePoint(value: next, llh: newLLH, exit: r?.exit ?? .gradient))
                let drop = llh - newLLH
                if newLLH < bestLLH - threshold && drop > 0.25 * threshold && step > 1e-4 * range {
                    // Crossed in too large a step: refine from the last point above the threshold.
                    step *= 0.25
                    continue
                }
                if crossings[side] == nil, newLLH < bestLLH - threshold {
                    // Linear interpolation between the last point above and this one.
                    let a = current[i], fa = llh - (bestLLH - threshold), fb = newLLH - (bestLLH - threshold)
                    crossings[side] = fa == fb ? next : a + (next - a) * fa / (fa - fb)
                    break
                }
                current = x
                current[i] = next
                llh = newLLH
                if next == bound { break }
                // Aim for drops of about a tenth of the threshold per step.
                if drop > 0.3 * threshold { step *= 0.5 } else if drop < 0.05 * threshold { step = min(step * 1.5, options.maxStep * range) }
            }
        }
        points.sort { $0.value < $1.value }
        return ParameterProfile(
            id: space.ids[i], index: i, points: points, bestValue: best[i], bestLLH: bestLLH,
            lower: crossings[0], upper: crossings[1])
    }

    /// profiles.tsv: parameter, value (linear), llh, exit; intervals.tsv: parameter, best, lower and
    /// upper 95% bounds (linear; empty where the profile stays above the threshold to the bound).
    public static func tables(_ profiles: [ParameterProfile], space: ParameterSpace) -> (profiles: String, intervals: String) {
        var p = ["parameterId\tvalue\tllh\texit"], q = ["parameterId\tbest\tlower95\tupper95\tidentifiable"]
        for prof in profiles {
            let scale = space.scales[prof.index]
            for pt in prof.points {
                p.append(
                    [prof.id, FitFiles.number(ParameterSpace.fromScale(pt.value, scale)), FitFiles.number(pt.llh), pt.exit.rawValue]
                        .joined(separator: "\t"))
            }
            let lo = prof.lower.map { FitFiles.number(ParameterSpace.fromScale($0, scale)) } ?? ""
            let hi = prof.upper.map { FitFiles.number(ParameterSpace.fromScale($0, scale)) } ?? ""
            q.append(
                [
                    prof.id, FitFiles.number(ParameterSpace.fromScale(prof.bestValue, scale)), lo, hi,
                    prof.lower != nil && prof.upper != nil ? "yes" : "no",
                ].joined(separator: "\t"))
        }
        return (p.joined(separator: "\n") + "\n", q.joined(separator: "\n") + "\n")
    }

    /// Reads the estimated parameters' values (nominalValue, linear scale) from a parameter table
    /// such as a fit's parameters.tsv, as scaled coordinates.
    public static func readValues(_ url: URL, space: ParameterSpace) throws -> [Double] {
        let table = try PEtabTable(contentsOf: url)
        try table.require(["parameterId", "nominalValue"])
        var values: [String: (Double, Int)] = [:]
        for r in 0 ..< table.rowCount {
            guard let id = table[r, "parameterId"], let text = table[r, "nominalValue"] else { continue }
            guard let v = PEtabNumber.parse(text) else { throw table.error(row: r, column: "nominalValue", "'\(text)' is not a number") }
            values[id] = (v, r)
        }
        return try space.ids.enumerated().map { k, id in
            guard let (v, r) = values[id] else {
                throw PEtabError(file: table.file, column: "parameterId", "estimated parameter '\(id)' is missing")
            }
            guard v >= ParameterSpace.fromScale(space.lower[k], space.scales[k]) * (1 - 1e-12),
                v <= ParameterSpace.fromScale(space.upper[k], space.scales[k]) * (1 + 1e-12)
            else {
                throw table.error(row: r, column: "nominalValue", "\(id) = \(v) lies outside its bounds")
            }
            return ParameterSpace.toScale(v, space.scales[k])
        }
    }
}
