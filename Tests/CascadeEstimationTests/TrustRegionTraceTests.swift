import CascadeEstimation
import Foundation
import XCTest

/// Collects an optimiser's iteration records (from one thread).
final class TraceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [TrustRegionIteration] = []
    var records: [TrustRegionIteration] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
    func append(_ r: TrustRegionIteration) {
        lock.lock()
        storage.append(r)
        lock.unlock()
    }
}

/// Exponential decay y = A e^{−kt} + noise-like offsets, on log10 scales: the residuals do not
/// vanish at the optimum, so the Gauss-Newton matrix stays an approximation (fides' hybrid
/// strategy exists for such problems). The optimum is found independently below by a dense grid
/// search refined with Newton's method on the exact gradient.
private func decayWithOffsets() -> (LeastSquaresObjective, [Double], [Double]) {
    let times = stride(from: 0.0, through: 10, by: 0.5).map { $0 }
    let offsets = times.indices.map { i in 0.05 * (i % 3 == 0 ? 1.0 : (i % 3 == 1 ? -1.0 : 0.5)) }
    let data = zip(times, offsets).map { t, o in 3 * exp(-0.35 * t) + o }
    let objective = decayOnLogScale(times: times, data: data)
    return (objective, times, data)
}

final class TrustRegionTraceTests: XCTestCase {
    /// The trace has one record per iteration; accepted trial values decrease and the last one is
    /// the result; the radius follows the update rule (×¼ of min(radius, step) below ratio ¼,
    /// growth only above ¾ on the region's boundary, unchanged otherwise).
    func testTraceRecordsEveryIterationAndTheRadiusRule() {
        let log = TraceLog()
        let optimizer = TrustRegionOptimizer(trace: { log.append($0) })
        let r = optimizer.minimize(Rosenbrock(), from: [-1.2, 1], lower: [-5, -5], upper: [5, 5])
        let records = log.records
        XCTAssertTrue(r.exit.converged, "\(r.exit)")
        XCTAssertEqual(records.count, r.iterations)
        XCTAssertEqual(records.map(\.iteration), Array(1 ... r.iterations))
        let accepted = records.filter(\.accepted)
        XCTAssertEqual(accepted.last?.trialValue, r.value)
        for (a, b) in zip(accepted, accepted.dropFirst()) { XCTAssertLessThan(b.trialValue!, a.trialValue!) }
        for (a, b) in zip(records, records.dropFirst()) {
            if a.ratio < 0.25 {
                XCTAssertEqual(b.radius, min(0.25 * a.radius, 0.25 * a.stepNorm), accuracy: 1e-15 * a.radius, "iteration \(a.iteration)")
            } else if a.ratio > 0.75 && a.stepNorm > 0.9 * a.radius {
                XCTAssertGreaterThan(b.radius, a.radius)
            } else {
                XCTAssertEqual(b.radius, a.radius, "iteration \(a.iteration)")
            }
        }
    }

    /// The "stall" rule switches to BFGS only after `hybridSwitch` successive iterations that left
    /// the radius unchanged; the "iteration" rule at iteration `hybridSwitch`. Both reach the
    /// optimum of a problem with non-zero residuals there, found independently by a grid search
    /// refined by Newton's method on the exact gradient of the same sum of squares.
    func testHybridRulesSwitchWhenDocumentedAndReachTheOptimum() throws {
        let (objective, times, data) = decayWithOffsets()
        // Independent optimum: grid over the log10 box, then Newton on ∇f with the exact Hessian.
        func fgh(_ a: Double, _ k: Double) -> (Double, [Double], [Double]) {
            var f = 0.0, g = [0.0, 0.0], h = [0.0, 0.0, 0.0, 0.0]
            for (t, y) in zip(times, data) {
                let e = exp(-k * t), r = a * e - y
                let ra = e, rk = -a * t * e, raa = 0.0, rak = -t * e, rkk = a * t * t * e
                f += 0.5 * r * r
                g[0] += r * ra
                g[1] += r * rk
                h[0] += ra * ra + r * raa
                h[1] += ra * rk + r * rak
                h[3] += rk * rk + r * rkk
            }
            h[2] = h[1]
            return (f, g, h)
        }
        var best = (a: 0.0, k: 0.0, f: Double.infinity)
        for i in 0 ... 200 {
            for j in 0 ... 200 {
                let a = pow(10, -1 + 2 * Double(i) / 200), k = pow(10, -2 + 2 * Double(j) / 200)
                let f = fgh(a, k).0
                if f < best.f { best = (a, k, f) }
            }
        }
        var (a, k) = (best.a, best.k)
        for _ in 0 ..< 50 {
            let (_, g, h) = fgh(a, k)
            let det = h[0] * h[3] - h[1] * h[2]
            a -= (h[3] * g[0] - h[1] * g[1]) / det
            k -= (-h[2] * g[0] + h[0] * g[1]) / det
        }
        let gFinal = fgh(a, k).1
        XCTAssertLessThan(max(abs(gFinal[0]), abs(gFinal[1])), 1e-12)

        for rule in HybridRule.allCases {
            var switchedRuns = 0
            defer { XCTAssertGreaterThan(switchedRuns, 0, "\(rule): no start switched, the test checks nothing") }
            for start in [[-0.9, -1.9], [0.9, -0.1], [-0.5, 0.0]] {
                var o = TrustRegionOptions()
                o.hybridSwitch = 3
                o.hybridRule = rule
                o.hybridStart = .identity
                let log = TraceLog()
                let r = TrustRegionOptimizer(options: o, trace: { log.append($0) }).minimize(
                    objective, from: start, lower: [-1, -2], upper: [1, 0])
                XCTAssertTrue(r.exit.converged, "\(rule) \(start): \(r.exit)")
                XCTAssertEqual(pow(10, r.x[0]), a, accuracy: 1e-5 * a, "\(rule) \(start)")
                XCTAssertEqual(pow(10, r.x[1]), k, accuracy: 1e-5 * k, "\(rule) \(start)")
                let records = log.records
                guard let first = records.firstIndex(where: { $0.hessian == "bfgs" }) else { continue }
                switchedRuns += 1
                XCTAssertTrue(records[first...].allSatisfy { $0.hessian == "bfgs" }, "the switch is not reversed")
                switch rule {
                case .iteration:
                    XCTAssertEqual(records[first].iteration, 3)
                case .stall:
                    // The iterations before the switch include 3 successive ones after which the
                    // radius stayed what it was.
                    var run = 0, longest = 0
                    for (p, q) in zip(records[..<first], records[1 ... first]) {
                        run = q.radius == p.radius ? run + 1 : 0
                        longest = max(longest, run)
                    }
                    XCTAssertGreaterThanOrEqual(longest, 3, "\(start)")
                }
            }
        }
    }

    /// fides' function test ("ratio": any step with ratio > ¼ whose change is below the tolerance)
    /// ends a start the interior-only test keeps running: on a problem whose optimum lies on a
    /// bound (Rosenbrock with a ≤ 0.5: optimum (0.5, 0.25), value 0.25), both end at the optimum,
    /// and the ratio test never takes more iterations.
    func testRatioFunctionTestStopsAtTheOptimum() {
        for start in [[-1.0, 2.0], [-1.9, -1.5], [0.4, 1.9]] {
            var counts: [FunctionTest: Int] = [:]
            for test in FunctionTest.allCases {
                var o = TrustRegionOptions()
                o.functionTest = test
                let r = TrustRegionOptimizer(options: o).minimize(Rosenbrock(), from: start, lower: [-2, -2], upper: [0.5, 2])
                XCTAssertTrue(r.exit.converged, "\(test) \(start): \(r.exit)")
                XCTAssertEqual(r.x[0], 0.5, accuracy: 1e-5, "\(test) \(start)")
                XCTAssertEqual(r.x[1], 0.25, accuracy: 1e-4, "\(test) \(start)")
                XCTAssertEqual(r.value, 0.25, accuracy: 1e-6, "\(test) \(start)")
                counts[test] = r.iterations
            }
            XCTAssertLessThanOrEqual(counts[.ratio]!, counts[.interior]!, "\(start)")
        }
    }
}

/// The two-dimensional subspace subproblem (fides' default) against closed-form solutions and the
/// exact full-space solution.
final class TwoDimensionalSubspaceTests: XCTestCase {
    func model(_ g: [Double], _ h: [Double], _ s: [Double]) -> Double { LinearAlgebra.dot(g, s) + 0.5 * LinearAlgebra.dot(s, LinearAlgebra.times(h, s)) }

    /// Positive definite H with the Newton step inside the region: the step solves H s = −g
    /// (checked by the residual); with the region smaller than the Newton step, the step lies on
    /// the region's boundary, in the span of the Newton step and the gradient, and its model value
    /// lies between the full-space optimum's and the Cauchy point's.
    func testPositiveDefinite() {
        let h: [Double] = [4, 1, 0, 1, 3, 0.5, 0, 0.5, 0.2]
        let g: [Double] = [1, -2, 0.3]
        let inside = TrustRegionSubproblemAccess.twoDimensional(g, h, 100)
        let residual = zip(LinearAlgebra.times(h, inside), g).map { $0 + $1 }
        XCTAssertLessThan(LinearAlgebra.maxAbs(residual), 1e-12)
        for radius in [0.05, 0.3, 1.0] {
            let s = TrustRegionSubproblemAccess.twoDimensional(g, h, radius)
            XCTAssertEqual(LinearAlgebra.norm(s), radius, accuracy: 1e-9 * radius)
            // In span{newton, g}: orthogonal to their cross product.
            let n = inside.map { -$0 }
            let cross = [n[1] * g[2] - n[2] * g[1], n[2] * g[0] - n[0] * g[2], n[0] * g[1] - n[1] * g[0]]
            XCTAssertEqual(LinearAlgebra.dot(cross, s), 0, accuracy: 1e-10 * LinearAlgebra.norm(cross) * radius)
            let full = TrustRegionSubproblemAccess.full(g, h, radius)
            let gn = LinearAlgebra.norm(g)
            let cauchyT = min(radius / gn, gn * gn / LinearAlgebra.dot(g, LinearAlgebra.times(h, g)))
            let cauchy = g.map { -$0 * cauchyT }
            XCTAssertGreaterThanOrEqual(model(g, h, s), model(g, h, full) - 1e-12)
            XCTAssertLessThanOrEqual(model(g, h, s), model(g, h, cauchy) + 1e-12)
        }
    }

    /// In two dimensions the subspace is the whole space: the same step as the exact solver, for
    /// an indefinite H too (eigenvalues −1 and 2).
    func testTwoDimensionsEqualsTheExactSolution() {
        let h: [Double] = [0.5, 1.5, 1.5, 0.5]
        let g: [Double] = [0.3, -0.7]
        for radius in [0.1, 1.0, 5.0] {
            let s = TrustRegionSubproblemAccess.twoDimensional(g, h, radius)
            let full = TrustRegionSubproblemAccess.full(g, h, radius)
            XCTAssertEqual(LinearAlgebra.norm(s), radius, accuracy: 1e-9 * radius)
            XCTAssertEqual(model(g, h, s), model(g, h, full), accuracy: 1e-10 * max(1, abs(model(g, h, full))))
        }
    }

    /// The optimiser with the subspace reaches the closed-form optima of the bounded problems.
    func testOptimiserReachesBoundedOptima() {
        var o = TrustRegionOptions()
        o.subspace = .twoDimensional
        let optimizer = TrustRegionOptimizer(options: o)
        let r = optimizer.minimize(Rosenbrock(), from: [-1, 2], lower: [-2, -2], upper: [0.5, 2])
        XCTAssertTrue(r.exit.converged, "\(r.exit)")
        XCTAssertEqual(r.x[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(r.x[1], 0.25, accuracy: 1e-5)
        let a: [[Double]] = [[1, 0, 0], [0, 2, 0], [0, 0, 1], [1, 1, 1]]
        let b: [Double] = [3, -4, 0.5, 0]
        let objective = LeastSquaresObjective(dimension: 3) { x, jac in
            let r = a.indices.map { i in zip(a[i], x).reduce(0) { $0 + $1.0 * $1.1 } - b[i] }
            return (r, jac ? a.flatMap { $0 } : nil)
        }
        let l = optimizer.minimize(objective, from: [0.5, 0, 0.5], lower: [0, -1, 0], upper: [1, 1, 1])
        XCTAssertTrue(l.exit.converged, "\(l.exit)")
        XCTAssertEqual(l.x[0], 1, accuracy: 1e-6)
        XCTAssertEqual(l.x[1], -1, accuracy: 1e-6)
        XCTAssertEqual(l.x[2], 0.25, accuracy: 1e-6)
    }
}

/// A quadratic bowl ½‖x − c‖² + 1e12 whose value is huge (so 1e-8·|f| is 1e4) and which cannot
/// be evaluated beyond x₀ > 0.5 (a model that fails to simulate there), with its minimum at
/// c = (2, 1), outside the evaluable region: the minimum over the evaluable box is (0.5, 1).
final class WallObjective: Objective {
    var dimension: Int { 2 }
    func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        guard x[0] <= 0.5 else { return .failed }
        let d = [x[0] - 2, x[1] - 1]
        return Evaluation(value: 0.5 * (d[0] * d[0] + d[1] * d[1]) + 1e12, gradient: d, hessian: [1, 0, 0, 1])
    }
}

final class FailureCutTests: XCTestCase {
    /// With fides' change test, steps cut short by failed simulations must not end the start as
    /// converged: it either keeps improving x₁ toward 1 or ends on the radius, never with
    /// `function` while x₁ is still far from its optimum.
    func testSmallChangeAfterFailuresIsNotConvergence() {
        var o = TrustRegionOptions()
        o.functionTest = .ratio
        let r = TrustRegionOptimizer(options: o).minimize(WallObjective(), from: [0, -3], lower: [-5, -5], upper: [5, 5])
        if r.exit == .function || r.exit == .gradient {
            XCTAssertEqual(r.x[1], 1, accuracy: 1e-3, "\(r.exit) at \(r.x)")
        }
        XCTAssertLessThanOrEqual(r.x[0], 0.5)
    }
}
