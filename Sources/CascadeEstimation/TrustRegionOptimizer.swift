import Foundation

/// Why an optimisation stopped.
public enum ExitReason: String, Sendable, Codable, CaseIterable {
    /// The scaled gradient ‖v ⊙ ∇f‖∞ fell below `gradientTolerance` (first-order optimal within
    /// the bounds).
    case gradient
    /// An accepted step changed the value by less than `absoluteTolerance + relativeTolerance·|f|`
    /// (which steps count: `functionTest`).
    case function
    /// The step became shorter than `stepTolerance`.
    case step
    /// The trust region shrank below `minimumRadius` without an acceptable step.
    case radius
    case maxIterations = "max_iterations"
    case maxEvaluations = "max_evaluations"
    case maxTime = "max_time"
    /// The objective is not finite at the start point.
    case notFinite = "not_finite"

    /// Whether the reason counts as convergence.
    public var converged: Bool { self == .gradient || self == .function || self == .step }
}

/// Settings of the trust-region optimiser. The defaults follow common practice for fitting ODE
/// models: fides' tolerances and fides' rules as pyPESTO runs it (HybridFixed(20)): the
/// Gauss-Newton matrix until 20 successive iterations leave the trust radius unchanged, then BFGS
/// updates started from the identity; the subproblem in the two-dimensional subspace; a small
/// change of the value after any step with ratio > 1/4 ends the optimisation. Every caller (multi-
/// start fits, profiles) starts from them. Measured on Boehm_JProteomeRes2014, 100 starts of seed 1
/// at rtol 1e-8 (docs/estimation.md, "The optimiser"): 60 iterations a start and 2 starts within
/// 1e-3 of the published optimum, against 408 and none in 33 starts with the earlier rules (switch
/// at iteration 20 from the Gauss-Newton matrix, interior-step test, full space: `earlierRules`).
public struct TrustRegionOptions: Sendable, Hashable {
    public var maxIterations = 1000
    public var maxEvaluations = 10_000
    /// Wall-clock limit per optimisation, seconds.
    public var maxTime = Double.infinity
    public var absoluteTolerance = 1e-8
    public var relativeTolerance = 1e-8
    public var gradientTolerance = 1e-6
    public var stepTolerance = 1e-12
    public var initialRadius = 1.0
    public var minimumRadius = 1e-12
    /// Use BFGS updates instead of the objective's Hessian approximation (for objectives that
    /// give none, BFGS is used regardless).
    public var bfgs = false
    /// Hybrid: switch (by `hybridRule`) from the objective's Hessian approximation, which
    /// converges only linearly where residuals stay large at the optimum, to a BFGS matrix
    /// (started from `hybridStart` and updated at every accepted step). Nil keeps the objective's
    /// approximation throughout.
    public var hybridSwitch: Int? = 20
    /// When the hybrid strategy switches to BFGS.
    public var hybridRule = HybridRule.stall
    /// The matrix the hybrid strategy's BFGS updates start from.
    public var hybridStart = HybridStart.identity
    /// Which accepted steps the function-change test applies to.
    public var functionTest = FunctionTest.ratio
    /// Where the trust-region subproblem is solved.
    public var subspace = Subspace.twoDimensional

    public init() {}

    /// The rules before fides' were adopted: BFGS from iteration 20 started from the objective's
    /// Hessian approximation, the change test on accepted interior steps only, the subproblem
    /// solved exactly in the full space (the tolerances and limits as the defaults).
    public static var earlierRules: TrustRegionOptions {
        var o = TrustRegionOptions()
        o.hybridRule = .iteration
        o.hybridStart = .hessian
        o.functionTest = .interior
        o.subspace = .full
        return o
    }
}

/// When the hybrid strategy leaves the objective's Hessian approximation for BFGS.
public enum HybridRule: String, Sendable, Hashable, CaseIterable {
    /// At iteration `hybridSwitch`.
    case iteration
    /// Once `hybridSwitch` successive iterations have left the trust radius unchanged (fides'
    /// HybridFixed): the approximation no longer predicts the objective well enough to grow the
    /// region nor badly enough to shrink it.
    case stall
}

/// The matrix the hybrid strategy's BFGS updates start from.
public enum HybridStart: String, Sendable, Hashable, CaseIterable {
    /// The objective's Hessian approximation at the start point.
    case hessian
    /// The identity (fides' HybridFixed as pyPESTO calls it: no initial matrix given).
    case identity
}

/// Where the trust-region subproblem is solved.
public enum Subspace: String, Sendable, Hashable, CaseIterable {
    /// Exactly, in the full space.
    case full
    /// Exactly, in the span of the Newton step (or a direction of negative curvature) and the
    /// gradient (fides' default).
    case twoDimensional = "2d"
}

/// Which accepted steps may end an optimisation by a small change of the value.
public enum FunctionTest: String, Sendable, Hashable, CaseIterable {
    /// Accepted steps inside the trust region (not cut short by its radius).
    case interior
    /// Any step whose ratio of actual to predicted decrease exceeds 0.25 (fides' test), the
    /// change measured against the value before the step.
    case ratio
}

/// One iteration of the optimiser, for traces (`cascade fit --trace`).
public struct TrustRegionIteration: Sendable {
    /// The multi-start fit's start index (nil outside a multi-start fit).
    public var start: Int?
    public var iteration: Int
    /// The value before the step.
    public var value: Double
    /// The value at the trial point (nil when the step was not evaluated: no predicted decrease).
    public var trialValue: Double?
    /// The trust radius the step was computed with, in the scaled space.
    public var radius: Double
    /// The step's length in the scaled space.
    public var stepNorm: Double
    /// The model's predicted change (negative for a decrease).
    public var predicted: Double
    /// Actual over predicted decrease (the Coleman-Li augmented term included).
    public var ratio: Double
    public var accepted: Bool
    /// "hessian" (the objective's approximation) or "bfgs".
    public var hessian: String
    /// Which candidate was taken: "tr" (the trust-region step), "tr-back" (truncated at a bound),
    /// "reflected", "gradient" (the constrained Cauchy step).
    public var step: String

    init(
        iteration: Int, value: Double, trialValue: Double?, radius: Double, stepNorm: Double, predicted: Double, ratio: Double,
        accepted: Bool, hessian: String, step: String
    ) {
        self.iteration = iteration
        self.value = value
        self.trialValue = trialValue
        self.radius = radius
        self.stepNorm = stepNorm
        self.predicted = predicted
        self.ratio = ratio
        self.accepted = accepted
        self.hessian = hessian
        self.step = step
    }

    /// `record` as an iteration of start `start`.
    init(start: Int, _ record: TrustRegionIteration) {
        self = record
        self.start = start
    }

    /// Column names of `row`, tab-separated.
    public static let header = "start\titeration\tvalue\ttrial_value\tradius\tstep_norm\tpredicted\tratio\taccepted\thessian\tstep"

    /// The record as a tab-separated row (numbers with 10 significant digits).
    public var row: String {
        func g(_ v: Double) -> String { String(format: "%.10g", v) }
        return [
            start.map(String.init) ?? "", String(iteration), g(value), trialValue.map(g) ?? "", g(radius), g(stepNorm), g(predicted),
            g(ratio), accepted ? "1" : "0", hessian, step,
        ].joined(separator: "\t")
    }
}

/// The result of one local optimisation.
public struct OptimisationResult: Sendable {
    public var x: [Double]
    public var value: Double
    public var gradient: [Double]
    public var start: [Double]
    public var startValue: Double
    public var iterations: Int
    public var evaluations: Int
    public var exit: ExitReason
    public var seconds: Double
}

/// A trust-region reflective optimiser for box-constrained problems (Coleman & Li 1996), the
/// method of fides (Fröhlich & Sorger 2022) and of MATLAB's lsqnonlin/fmincon "trust-region-
/// reflective".
///
/// Each iteration scales the problem by the distance to the bound the gradient points at
/// (D = diag(|v|^½)), solves the trust-region subproblem in the scaled space (exactly, in the
/// full space or in fides' two-dimensional subspace: `TrustRegionOptions.subspace`), and picks
/// the best of three steps by the quadratic model: the trust-region step truncated at the first
/// bound it crosses, that step reflected at the bound, and the constrained Cauchy step. Iterates
/// stay strictly inside the bounds. The Hessian is the objective's approximation (for
/// likelihoods, the Fisher information — Gauss-Newton), a BFGS update, or the first and then the
/// second (`hybridSwitch`, `hybridRule`, `hybridStart`). `trace` sees every iteration.
public struct TrustRegionOptimizer: Sendable {
    public var options: TrustRegionOptions
    /// Called after every iteration.
    public var trace: (@Sendable (TrustRegionIteration) -> Void)?

    public init(options: TrustRegionOptions = TrustRegionOptions(), trace: (@Sendable (TrustRegionIteration) -> Void)? = nil) {
        self.options = options
        self.trace = trace
    }

    public func minimize(
        _ objective: Objective, from start: [Double], lower: [Double], upper: [Double],
        progress: ((Int, Double) -> Void)? = nil
    ) -> OptimisationResult {
        let clock = Date()
        let n = objective.dimension
        precondition(start.count == n && lower.count == n && upper.count == n, "dimension mismatch")
        // Strictly inside the bounds.
        var x = start
        for i in 0 ..< n {
            let width = upper[i] - lower[i]
            let margin = width.isFinite ? 1e-8 * width : 1e-8 * max(1, abs(x[i]))
            x[i] = min(max(x[i], lower[i] + margin), upper[i] - margin)
        }
        let x0 = x
        var evaluations = 1
        // The value alone first: a start where the model cannot be integrated is found without
        // the cost of its sensitivities (Fujita_SciSignal2010: starts across 16 decades of bounds,
        // many not finite, each 60-100 s with sensitivities on a loaded machine).
        var e = objective.evaluate(x, derivatives: false)
        if e.value.isFinite {
            evaluations += 1
            e = objective.evaluate(x, derivatives: true)
        }
        func result(_ exit: ExitReason, iterations: Int) -> OptimisationResult {
            OptimisationResult(
                x: x, value: e.value, gradient: e.gradient ?? [], start: x0, startValue: startValue,
                iterations: iterations, evaluations: evaluations, exit: exit,
                seconds: Date().timeIntervalSince(clock))
        }
        let startValue = e.value
        guard e.value.isFinite, var g = e.gradient, g.allSatisfy(\.isFinite) else {
            return result(.notFinite, iterations: 0)
        }
        let useBFGS = options.bfgs || e.hessian == nil
        var h: [Double] = useBFGS ? Self.identity(n) : e.hessian!
        // The BFGS matrix of the hybrid strategy.
        var quasiNewton = options.hybridStart == .identity ? Self.identity(n) : h
        let switchAt = useBFGS ? nil : options.hybridSwitch
        // Iterations since the trust radius last changed, and whether the hybrid has switched.
        var sinceRadiusChange = 0
        var switched = false
        // Set by a trial point where the objective is not finite, cleared by an accepted step
        // inside the region: meanwhile the region is small because the model could not be
        // simulated, and a small change of the value says nothing about the optimum.
        var failureCut = false
        var f = e.value
        var radius = options.initialRadius
        var iteration = 0
        while true {
            // Scaling by the distance to the bound the gradient points at.
            var v = [Double](repeating: 1, count: n), jv = [Double](repeating: 0, count: n)
            for i in 0 ..< n {
                if g[i] < 0 && upper[i].isFinite {
                    v[i] = upper[i] - x[i]; jv[i] = 1
                } else if g[i] >= 0 && lower[i].isFinite {
                    v[i] = x[i] - lower[i]; jv[i] = 1
                }
            }
            var scaledGradientNorm = 0.0
            for i in 0 ..< n { scaledGradientNorm = max(scaledGradientNorm, abs(g[i] * v[i])) }
            if scaledGradientNorm <= options.gradientTolerance { return result(.gradient, iterations: iteration) }
            if iteration >= options.maxIterations { return result(.maxIterations, iterations: iteration) }
            if evaluations >= options.maxEvaluations { return result(.maxEvaluations, iterations: iteration) }
            if Date().timeIntervalSince(clock) > options.maxTime { return result(.maxTime, iterations: iteration) }
            iteration += 1

            if let k = switchAt, options.hybridRule == .iteration, iteration >= k { switched = true }
            if switched { h = quasiNewton }
            let d = v.map { $0.squareRoot() }
            let gs = (0 ..< n).map { d[$0] * g[$0] }
            let c = (0 ..< n).map { abs(g[$0]) * jv[$0] }
            var hs = h
            for i in 0 ..< n { for j in 0 ..< n { hs[i * n + j] *= d[i] * d[j] }; hs[i * n + i] += c[i] }
            // Model value of a scaled step.
            func model(_ s: [Double]) -> Double { LinearAlgebra.dot(gs, s) + 0.5 * LinearAlgebra.quadratic(hs, s) }
            let theta = max(0.95, 1 - scaledGradientNorm)

            var candidates: [[Double]] = []
            var kinds: [String] = []
            let trStep =
                options.subspace == .full
                ? TrustRegionSubproblem.solve(gradient: gs, hessian: hs, radius: radius)
                : TrustRegionSubproblem.solveTwoDimensional(gradient: gs, hessian: hs, radius: radius)
            let (alpha, hits) = Self.toBound(x: x, direction: (0 ..< n).map { d[$0] * trStep[$0] }, lower: lower, upper: upper)
            if alpha > 1 {
                candidates.append(trStep)
                kinds.append("tr")
            } else {
                candidates.append(trStep.map { $0 * theta * alpha })
                kinds.append("tr-back")
                // Reflection at the bound.
                let p0 = trStep.map { $0 * alpha }
                var r = trStep
                for i in hits { r[i] = -r[i] }
                let xb = (0 ..< n).map { x[$0] + d[$0] * p0[$0] }
                let (toBound, _) = Self.toBound(x: xb, direction: (0 ..< n).map { d[$0] * r[$0] }, lower: lower, upper: upper)
                let toSphere = Self.toSphere(from: p0, direction: r, radius: radius)
                let tMax = min(toBound, toSphere)
                if tMax > 0 && tMax.isFinite {
                    let t = Self.lineMinimum(
                        gradient: gs, hessian: hs, base: p0, direction: r,
                        low: (1 - theta) * tMax, high: tMax < toBound ? tMax : theta * tMax)
                    candidates.append((0 ..< n).map { p0[$0] + t * r[$0] })
                    kinds.append("reflected")
                }
            }
            // Constrained Cauchy step.
            let gnorm = LinearAlgebra.norm(gs)
            if gnorm > 0 {
                let dir = gs.map { -$0 }
                let (toBound, _) = Self.toBound(x: x, direction: (0 ..< n).map { d[$0] * dir[$0] }, lower: lower, upper: upper)
                let toSphere = radius / gnorm
                let tMax = min(toBound, toSphere)
                let t = Self.lineMinimum(
                    gradient: gs, hessian: hs, base: [Double](repeating: 0, count: n), direction: dir,
                    low: 0, high: toBound <= toSphere ? theta * tMax : tMax)
                candidates.append(dir.map { $0 * t })
                kinds.append("gradient")
            }
            var best = candidates[0], bestModel = model(candidates[0]), bestKind = kinds[0]
            for (s, kind) in zip(candidates, kinds).dropFirst() {
                let m = model(s)
                if m < bestModel { best = s; bestModel = m; bestKind = kind }
            }
            let hessianKind = useBFGS || switched ? "bfgs" : "hessian"
            let radiusUsed = radius
            let step = (0 ..< n).map { d[$0] * best[$0] }
            var trial = (0 ..< n).map { x[$0] + step[$0] }
            for i in 0 ..< n { trial[i] = min(max(trial[i], lower[i]), upper[i]) }
            let stepNorm = LinearAlgebra.norm(best)

            if !(bestModel < 0) || stepNorm == 0 {
                // No predicted decrease: the model is flat at the bounds' resolution.
                trace?(
                    TrustRegionIteration(
                        iteration: iteration, value: f, trialValue: nil, radius: radiusUsed, stepNorm: stepNorm, predicted: bestModel,
                        ratio: 0, accepted: false, hessian: hessianKind, step: bestKind))
                sinceRadiusChange = 0
                if stepNorm <= options.stepTolerance * (1 + LinearAlgebra.norm(x)) { return result(.step, iterations: iteration) }
                radius = 0.25 * min(radius, stepNorm)
                if radius < options.minimumRadius { return result(.radius, iterations: iteration) }
                continue
            }
            evaluations += 1
            let trialEvaluation = objective.evaluate(trial, derivatives: true)
            let fNew = trialEvaluation.value
            var ratio = -Double.infinity
            if fNew.isFinite, let gNew = trialEvaluation.gradient, gNew.allSatisfy(\.isFinite) {
                var correction = 0.0
                for i in 0 ..< n { correction += c[i] * best[i] * best[i] }
                ratio = (fNew - f + 0.5 * correction) / bestModel
            }
            // A step that reached the trust region's boundary was limited by the region, not by
            // the model: a small change of the value there says the region is small, not that the
            // optimum is near (measured on Rahman_MBS2016: after a rejected step had cut the radius,
            // the next accepted boundary step changed −llh by less than 1e-8·(1 + |llh|) and the
            // starts stopped 5e-5 to 2e-4 short of the nominal llh).
            let interiorStep = stepNorm < 0.9 * radius
            if !ratio.isFinite { failureCut = true }
            // Radius update.
            let previousRadius = radius
            if ratio < 0.25 {
                radius = min(0.25 * radius, 0.25 * stepNorm)
            } else if ratio > 0.75 && stepNorm > 0.9 * radius {
                radius = max(radius, 2 * stepNorm)
            }
            sinceRadiusChange = radius == previousRadius ? sinceRadiusChange + 1 : 0
            trace?(
                TrustRegionIteration(
                    iteration: iteration, value: f, trialValue: fNew, radius: radiusUsed, stepNorm: stepNorm, predicted: bestModel,
                    ratio: ratio, accepted: ratio > 0, hessian: hessianKind, step: bestKind))
            if ratio > 0 {
                let gOld = g
                let xOld = x
                x = trial
                let df = f - fNew
                f = fNew
                e = trialEvaluation
                g = trialEvaluation.gradient!
                let sx = (0 ..< n).map { x[$0] - xOld[$0] }, yg = (0 ..< n).map { g[$0] - gOld[$0] }
                if useBFGS {
                    Self.bfgsUpdate(&h, s: sx, y: yg)
                } else {
                    if let k = switchAt {
                        Self.bfgsUpdate(&quasiNewton, s: sx, y: yg)
                        if options.hybridRule == .stall, sinceRadiusChange >= k { switched = true }
                    }
                    if let hNew = trialEvaluation.hessian { h = hNew }
                }
                progress?(iteration, f)
                let smallChange: Bool
                switch options.functionTest {
                case .interior: smallChange = interiorStep && abs(df) < options.absoluteTolerance + options.relativeTolerance * abs(f)
                case .ratio:
                    // After a failed simulation cut the region, only a step inside it counts
                    // (Fujita_SciSignal2010: a start stopped at −llh 7e16, where 1e-8·|f| is 7e8,
                    // after trial points failed down to a radius of 8e-11).
                    smallChange =
                        ratio > 0.25 && (!failureCut || interiorStep)
                        && abs(df) < options.absoluteTolerance + options.relativeTolerance * abs(f + df)
                }
                if smallChange {
                    return result(.function, iterations: iteration)
                }
                if interiorStep { failureCut = false }
                if LinearAlgebra.norm(step) <= options.stepTolerance * (1 + LinearAlgebra.norm(x)) {
                    return result(.step, iterations: iteration)
                }
            } else if radius < options.minimumRadius {
                return result(.radius, iterations: iteration)
            }
        }
    }

    static func identity(_ n: Int) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { m[i * n + i] = 1 }
        return m
    }

    /// Damped-free BFGS update, skipped when the curvature condition fails.
    static func bfgsUpdate(_ h: inout [Double], s: [Double], y: [Double]) {
        let n = s.count
        let sy = LinearAlgebra.dot(s, y)
        guard sy > 1e-12 * LinearAlgebra.norm(s) * LinearAlgebra.norm(y) else { return }
        let hs = LinearAlgebra.times(h, s)
        let shs = LinearAlgebra.dot(s, hs)
        guard shs > 0 else { return }
        for i in 0 ..< n { for j in 0 ..< n { h[i * n + j] += y[i] * y[j] / sy - hs[i] * hs[j] / shs } }
    }

    /// Largest t with x + t·p inside the bounds, and the coordinates that reach a bound there.
    static func toBound(x: [Double], direction p: [Double], lower: [Double], upper: [Double]) -> (Double, [Int]) {
        var t = Double.infinity
        var hits: [Int] = []
        for i in x.indices {
            let ti: Double
            if p[i] > 0 { ti = (upper[i] - x[i]) / p[i] } else if p[i] < 0 { ti = (lower[i] - x[i]) / p[i] } else { continue }
            if ti < t { t = ti; hits = [i] } else if ti == t { hits.append(i) }
        }
        return (max(t, 0), hits)
    }

    /// Largest t ≥ 0 with ‖p0 + t·p‖ ≤ Δ.
    static func toSphere(from p0: [Double], direction p: [Double], radius: Double) -> Double {
        let a = LinearAlgebra.dot(p, p), b = 2 * LinearAlgebra.dot(p0, p), c = LinearAlgebra.dot(p0, p0) - radius * radius
        guard a > 0 else { return .infinity }
        let disc = b * b - 4 * a * c
        guard disc >= 0 else { return 0 }
        return max(0, (-b + disc.squareRoot()) / (2 * a))
    }

    /// The t in [low, high] minimising the model along base + t·direction.
    static func lineMinimum(
        gradient g: [Double], hessian h: [Double], base: [Double], direction p: [Double],
        low: Double, high: Double
    ) -> Double {
        let hp = LinearAlgebra.times(h, p)
        let slope = LinearAlgebra.dot(g, p) + LinearAlgebra.dot(base, hp)
        let curvature = LinearAlgebra.dot(p, hp)
        func m(_ t: Double) -> Double { t * slope + 0.5 * t * t * curvature }
        var best = low, bestValue = m(low)
        if m(high) < bestValue { best = high; bestValue = m(high) }
        if curvature > 0 {
            let t = -slope / curvature
            if t > low && t < high && m(t) < bestValue { best = t }
        }
        return best
    }
}
