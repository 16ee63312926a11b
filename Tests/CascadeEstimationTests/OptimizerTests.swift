import CascadeEstimation
import Foundation
import XCTest

/// Rosenbrock's function with its exact Hessian (minimum 0 at (1, 1)).
final class Rosenbrock: Objective {
    var dimension: Int { 2 }
    func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        let a = x[0], b = x[1]
        let f = (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)
        let g = [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]
        let h = [2 - 400 * (b - a * a) + 800 * a * a, -400 * a, -400 * a, 200]
        return Evaluation(value: f, gradient: g, hessian: h)
    }
}

/// Rosenbrock's function giving only its gradient: the optimiser must use BFGS.
final class RosenbrockGradientOnly: Objective {
    let inner = Rosenbrock()
    var dimension: Int { 2 }
    func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        let e = inner.evaluate(x, derivatives: true)
        return Evaluation(value: e.value, gradient: e.gradient)
    }
}

final class OptimizerTests: XCTestCase {
    let optimizer = TrustRegionOptimizer()
    /// The defaults (fides' rules) and the earlier defaults (the earlier rules without the hybrid
    /// switch), for the closed-form optima both must reach.
    let bothRules: [TrustRegionOptimizer] = {
        var earlier = TrustRegionOptions.earlierRules
        earlier.hybridSwitch = nil
        return [TrustRegionOptimizer(), TrustRegionOptimizer(options: earlier)]
    }()

    func testRosenbrockUnboundedFromClassicStart() {
        for optimizer in bothRules {
            let r = optimizer.minimize(Rosenbrock(), from: [-1.2, 1], lower: [-.infinity, -.infinity], upper: [.infinity, .infinity])
            XCTAssertTrue(r.exit.converged, "\(optimizer.options.subspace) \(r.exit)")
            XCTAssertEqual(r.x[0], 1, accuracy: 1e-5)
            XCTAssertEqual(r.x[1], 1, accuracy: 1e-5)
            XCTAssertLessThan(r.value, 1e-10)
        }
    }

    func testRosenbrockWithBFGS() {
        var o = TrustRegionOptions()
        o.gradientTolerance = 1e-8
        o.absoluteTolerance = 0
        o.relativeTolerance = 0
        let r = TrustRegionOptimizer(options: o).minimize(RosenbrockGradientOnly(), from: [-1.2, 1], lower: [-5, -5], upper: [5, 5])
        XCTAssertEqual(r.x[0], 1, accuracy: 1e-4)
        XCTAssertEqual(r.x[1], 1, accuracy: 1e-4)
    }

    /// With the upper bound a ≤ 0.5 the minimum is on the bound: minimise (1−a)² + 100(b−a²)²
    /// with a = 0.5 gives b = 0.25, value 0.25 (the KKT point: ∂f/∂a = −1 < 0 pushes a up).
    func testRosenbrockActiveUpperBound() {
        for optimizer in bothRules {
            let r = optimizer.minimize(Rosenbrock(), from: [-1, 2], lower: [-2, -2], upper: [0.5, 2])
            XCTAssertTrue(r.exit.converged, "\(optimizer.options.subspace) \(r.exit)")
            XCTAssertEqual(r.x[0], 0.5, accuracy: 1e-6)
            XCTAssertEqual(r.x[1], 0.25, accuracy: 1e-5)
            XCTAssertEqual(r.value, 0.25, accuracy: 1e-6)
            XCTAssertLessThanOrEqual(r.x[0], 0.5)
        }
    }

    /// Linear least squares ½‖Ax − b‖² in a box whose unconstrained optimum lies outside it: the
    /// optimum solves the problem with the active coordinates fixed at their bounds (checked with
    /// the KKT conditions: zero gradient for free coordinates, gradient sign pushing outward at
    /// active bounds).
    func testBoundedLinearLeastSquares() {
        let a: [[Double]] = [[1, 0, 0], [0, 2, 0], [0, 0, 1], [1, 1, 1]]
        let b: [Double] = [3, -4, 0.5, 0]
        let objective = LeastSquaresObjective(dimension: 3) { x, jac in
            let r = a.indices.map { i in zip(a[i], x).reduce(0) { $0 + $1.0 * $1.1 } - b[i] }
            return (r, jac ? a.flatMap { $0 } : nil)
        }
        let lower = [0.0, -1, 0], upper = [1.0, 1, 1]
        let r = optimizer.minimize(objective, from: [0.5, 0, 0.5], lower: lower, upper: upper)
        XCTAssertTrue(r.exit.converged, "\(r.exit)")
        // x0 wants to be > 1 (pushed to 1), x1 wants to be < −1 (pushed to −1); x2 free:
        // minimise (x2 − 0.5)² + (1 − 1 + x2)² → x2 = 0.25.
        XCTAssertEqual(r.x[0], 1, accuracy: 1e-6)
        XCTAssertEqual(r.x[1], -1, accuracy: 1e-6)
        XCTAssertEqual(r.x[2], 0.25, accuracy: 1e-6)
        let g = r.gradient
        XCTAssertLessThan(g[0], 0)
        XCTAssertGreaterThan(g[1], 0)
        XCTAssertEqual(g[2], 0, accuracy: 1e-5)
        for i in 0 ..< 3 { XCTAssertTrue(r.x[i] >= lower[i] && r.x[i] <= upper[i]) }
    }

    /// y = A e^{−kt} sampled without noise, fitted on log10 scales: the optimum is the generating
    /// (A, k), where the residuals vanish — a closed-form optimum, from starts far from it.
    func testExponentialDecayOnLogScale() {
        let times = stride(from: 0.0, through: 10, by: 0.5).map { $0 }
        let trueA = 3.0, trueK = 0.35
        let objective = decayOnLogScale(times: times, data: times.map { trueA * exp(-trueK * $0) })
        for start in [[-2.0, -3.0], [2.0, 1.0], [0.0, -2.5]] {
            let r = optimizer.minimize(objective, from: start, lower: [-3, -3], upper: [3, 2])
            let earlier = bothRules[1].minimize(objective, from: start, lower: [-3, -3], upper: [3, 2])
            XCTAssertTrue(earlier.exit.converged, "earlier rules \(start): \(earlier.exit)")
            XCTAssertEqual(pow(10, earlier.x[0]), trueA, accuracy: 1e-5, "earlier rules \(start)")
            XCTAssertEqual(pow(10, earlier.x[1]), trueK, accuracy: 1e-6, "earlier rules \(start)")
            XCTAssertTrue(r.exit.converged, "\(start): \(r.exit)")
            XCTAssertEqual(pow(10, r.x[0]), trueA, accuracy: 1e-5, "\(start)")
            XCTAssertEqual(pow(10, r.x[1]), trueK, accuracy: 1e-6, "\(start)")
        }
    }

    /// Starting next to a lower bound with the minimum (1, 1) inside: iterates stay inside and
    /// reach the minimum.
    func testStepsStayInsideBoundsAndObjectiveDecreases() {
        let r = optimizer.minimize(Rosenbrock(), from: [0.9, -0.9], lower: [0.8, -1], upper: [2, 3])
        XCTAssertLessThan(r.value, r.startValue)
        XCTAssertTrue(r.x[0] >= 0.8 && r.x[0] <= 2 && r.x[1] >= -1 && r.x[1] <= 3)
        XCTAssertEqual(r.x[0], 1, accuracy: 1e-4)
    }

    func testStartPointWithNonFiniteValueIsReported() {
        let objective = LeastSquaresObjective(dimension: 1) { x, _ in ([log(x[0] - 1)], [1 / (x[0] - 1)]) }
        let r = optimizer.minimize(objective, from: [0.5], lower: [0], upper: [3])
        XCTAssertEqual(r.exit, .notFinite)
        XCTAssertFalse(r.exit.converged)
    }

    func testSymmetricEigenAgainstKnownSpectrum() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let (values, vectors) = LinearAlgebra.symmetricEigen([2, 1, 1, 2], n: 2)
        XCTAssertEqual(values[0], 1, accuracy: 1e-14)
        XCTAssertEqual(values[1], 3, accuracy: 1e-14)
        XCTAssertEqual(abs(vectors[0]), 1 / 2.0.squareRoot(), accuracy: 1e-14)
        // A random symmetric matrix: A v = λ v for every pair.
        var rng = SystemRandomNumberGenerator()
        let n = 6
        var m = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for j in i ..< n { let v = Double.random(in: -1 ... 1, using: &rng); m[i * n + j] = v; m[j * n + i] = v } }
        let (l, q) = LinearAlgebra.symmetricEigen(m, n: n)
        for k in 0 ..< n {
            let v = (0 ..< n).map { q[$0 * n + k] }
            let av = LinearAlgebra.times(m, v)
            for i in 0 ..< n { XCTAssertEqual(av[i], l[k] * v[i], accuracy: 1e-12) }
        }
    }
}

final class EigenvalueTests: XCTestCase {
    /// The companion matrix of (x − 1)(x − 2)(x − 3)(x² + 1) = x⁵ − 6x⁴ + 12x³ − 12x² + 11x − 6
    /// has eigenvalues 3, 2, 1, ±i.
    func testCompanionMatrixRoots() throws {
        let c = [-6.0, 11, -12, 12, -6]  // constant term first, monic x⁵
        var m = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
        for i in 1 ..< 5 { m[i][i - 1] = 1 }
        for i in 0 ..< 5 { m[i][4] = -c[i] }
        let e = try XCTUnwrap(LinearAlgebra.eigenvalues(m))
        XCTAssertEqual(e.count, 5)
        let expected: [(Double, Double)] = [(3, 0), (2, 0), (1, 0), (0, 1), (0, -1)]
        for (got, want) in zip(e, expected) {
            XCTAssertEqual(got.re, want.0, accuracy: 1e-9)
            XCTAssertEqual(got.im, want.1, accuracy: 1e-9)
        }
    }

    /// A symmetric matrix: the same spectrum as the Jacobi method gives.
    func testAgreesWithJacobiOnSymmetricMatrices() throws {
        var rng = SystemRandomNumberGenerator()
        let n = 7
        var flat = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for j in i ..< n { let v = Double.random(in: -2 ... 2, using: &rng); flat[i * n + j] = v; flat[j * n + i] = v } }
        let rows = (0 ..< n).map { i in Array(flat[(i * n) ..< (i * n + n)]) }
        let e = try XCTUnwrap(LinearAlgebra.eigenvalues(rows))
        let reference = LinearAlgebra.symmetricEigen(flat, n: n).values.sorted(by: >)
        for (got, want) in zip(e, reference) {
            XCTAssertEqual(got.re, want, accuracy: 1e-10)
            XCTAssertEqual(got.im, 0, accuracy: 1e-10)
        }
    }
}

/// Residuals A e^{−kt} − y of data y at times t, with (log10 A, log10 k) as the parameters, and
/// their Jacobian.
func decayOnLogScale(times: [Double], data: [Double]) -> LeastSquaresObjective {
    let ln10 = log(10.0)
    return LeastSquaresObjective(dimension: 2) { x, jac in
        let amp = pow(10, x[0]), k = pow(10, x[1])
        var r: [Double] = [], j: [Double] = []
        for (t, y) in zip(times, data) {
            let e = exp(-k * t)
            r.append(amp * e - y)
            j.append(amp * e * ln10)
            j.append(-amp * t * e * k * ln10)
        }
        return (r, jac ? j : nil)
    }
}
