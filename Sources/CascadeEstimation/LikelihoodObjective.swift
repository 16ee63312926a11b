import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

/// A PEtab problem's negative log-likelihood as an optimiser's objective: value −llh, gradient
/// −∇llh from forward sensitivities (CVODES), and a Gauss-Newton Hessian approximation, all on
/// the parameters' scales.
///
/// For normal noise the Hessian approximation is Σ ∇r∇rᵀ + Σ ∇log σ ∇log σᵀ, with r = (h(m) −
/// h(y))/σ differentiated through both y and σ (the Gauss-Newton matrix of the residuals, as
/// AMICI's residual Jacobian gives it, plus the curvature of the log σ terms). The expected
/// Fisher information alone (∇y∇yᵀ/σ² + 2∇log σ∇log σᵀ) ignores that far from the optimum, where
/// |r| ≫ 1, the likelihood curves in the noise parameters r² times more: with it, a fit of
/// Boehm_JProteomeRes2014 predicted 1.4 times the decrease it got at every step and crawled
/// at a trust region of 1e-3 for hundreds of iterations. With Laplace noise the expected
/// Fisher information is used.
///
/// The underlying `PEtabObjective` may be shared between threads; each evaluation runs its
/// simulations on `threads` threads (1 when starts already run in parallel).
public final class LikelihoodObjective: Objective {
    public let likelihood: PEtabObjective
    public let threads: Int
    /// Whether the Hessian approximation includes Σ ∇log σ ∇log σᵀ (false: the Gauss-Newton
    /// matrix of the residuals alone, AMICI's Fisher information).
    public let sigmaCurvature: Bool
    /// Evaluations that failed (a simulation error), counted for diagnostics.
    public private(set) var failures = 0

    public init(_ likelihood: PEtabObjective, threads: Int = 1, sigmaCurvature: Bool = true) {
        self.likelihood = likelihood
        self.threads = threads
        self.sigmaCurvature = sigmaCurvature
    }

    public var dimension: Int { likelihood.parameterIds.count }

    public func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        guard let e = try? likelihood.evaluate(parameters: x, gradient: derivatives, threads: threads), e.llh.isFinite else {
            failures += 1
            return .failed
        }
        guard derivatives, let g = e.gradient, let fim = e.fisherInformation else { return Evaluation(value: -e.llh) }
        guard e.laplaceCount == 0, let dr = e.residualSensitivities, let ds = e.sigmaSensitivities else {
            return Evaluation(value: -e.llh, gradient: g.map { -$0 }, hessian: fim.flatMap { $0 })
        }
        let n = g.count
        var h = [Double](repeating: 0, count: n * n)
        for i in dr.indices {
            let sigma = e.sigmas[i]
            guard dr[i].count == n, ds[i].count == n, sigma > 0, dr[i].allSatisfy(\.isFinite), ds[i].allSatisfy(\.isFinite) else { continue }
            let w = sigmaCurvature ? 1.0 : 0.0
            for a in 0 ..< n {
                let ra = dr[i][a], la = w * ds[i][a] / sigma
                if ra == 0 && la == 0 { continue }
                for b in a ..< n { h[a * n + b] += ra * dr[i][b] + la * ds[i][b] / sigma }
            }
        }
        for a in 0 ..< n { for b in 0 ..< a { h[a * n + b] = h[b * n + a] } }
        return Evaluation(value: -e.llh, gradient: g.map { -$0 }, hessian: h)
    }
}

/// A simulated observable over time next to its measurements.
public struct FitCurve: Sendable {
    public var observableId: String
    public var simulationConditionId: String
    public var preequilibrationConditionId: String?
    public var times: [Double]
    public var values: [Double]
    public var dataTimes: [Double]
    public var data: [Double]
}

extension EstimationProblem {
    /// Simulated observables on a fine time grid next to the data, one curve per observable,
    /// condition pair and observable/noise parameters (for plots of fits against data), at the
    /// scaled parameters x.
    public func curves(_ x: [Double], options: SolverOptions, points: Int = 80) throws -> [FitCurve] {
        let source = problem.measurements.table
        struct Key: Hashable { var obs: String; var sim: String; var pre: String?; var op: String; var np: String }
        var order: [Key] = [], groups: [Key: [PEtabMeasurement]] = [:]
        for m in problem.measurements.measurements {
            let k = Key(
                obs: m.observableId, sim: m.simulationConditionId, pre: m.preequilibrationConditionId,
                op: m.observableParameters.map(\.description).joined(separator: ";"),
                np: m.noiseParameters.map(\.description).joined(separator: ";"))
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(m)
        }
        guard let timeColumn = source.columnIndex("time"), let valueColumn = source.columnIndex(problem.measurements.valueColumn) else { return [] }
        var rows: [[String]] = [], grids: [[Double]] = []
        for k in order {
            let ms = groups[k]!
            let finite = ms.map(\.time).filter(\.isFinite)
            let end = finite.max() ?? 0
            var grid = Set(finite)
            if end > 0 { for j in 0 ... points { grid.insert(end * Double(j) / Double(points)) } }
            let times = grid.sorted()
            grids.append(times)
            for t in times {
                var r = source.rows[ms[0].row]
                r[timeColumn] = FitFiles.number(t)
                // Any positive number: the likelihood of these rows is not used.
                r[valueColumn] = "1"
                rows.append(r)
            }
        }
        var dense = problem
        dense.measurements = try PEtabMeasurementTable(
            PEtabTable(file: "curves", columns: source.columns, rows: rows),
            valueColumn: problem.measurements.valueColumn)
        let e = try PEtabObjective(dense, options: options).evaluate(parameters: x, gradient: false, threads: 1)
        var out: [FitCurve] = []
        var at = 0
        for (g, k) in order.enumerated() {
            let times = grids[g]
            let values = Array(e.simulations[at ..< (at + times.count)])
            at += times.count
            let ms = groups[k]!
            out.append(
                FitCurve(
                    observableId: k.obs, simulationConditionId: k.sim, preequilibrationConditionId: k.pre,
                    times: times, values: values, dataTimes: ms.map(\.time), data: ms.map(\.value)))
        }
        return out
    }
}
