import CascadeEstimation
import CascadeFormats
import Foundation
import XCTest

/// The extended Rosenbrock function as least squares, residuals 10(xᵢ₊₁ − xᵢ²) and 1 − xᵢ
/// (i = 1 ... 4) and 1 − x₅: minimum 0 at (1, ..., 1). With one coordinate held away from 1 the
/// others follow a curved valley and the residuals stay non-zero, so re-optimising them takes
/// iterations in which the optimiser's rules (hybrid switch, subspace, change test) decide the
/// path and where it stops.
private func rosenbrockChain() -> LeastSquaresObjective {
    let n = 5
    return LeastSquaresObjective(dimension: n) { x, jac in
        var r: [Double] = [], j: [Double] = []
        for i in 0 ..< n {
            var row = [Double](repeating: 0, count: n)
            if i + 1 < n {
                r.append(10 * (x[i + 1] - x[i] * x[i]))
                row[i + 1] = 10
                row[i] = -20 * x[i]
                j += row
                row = [Double](repeating: 0, count: n)
            }
            r.append(1 - x[i])
            row[i] = -1
            j += row
        }
        return (r, jac ? j : nil)
    }
}

/// `cascade profile` re-optimises each point by the rules of `cascade fit`: the defaults of
/// `Profiling.Options` are `FitSettings`' (fides' rules, which are `TrustRegionOptions`' own), and
/// a profile point is exactly what that optimiser reaches with the parameter fixed.
final class ProfileOptimizerTests: XCTestCase {
    /// The options objects: the profile's optimiser is the fit's but for its iteration limit, and
    /// both are the optimiser's defaults, which are not the earlier rules.
    func testProfileOptionsAreTheFitsRules() {
        let fit = FitSettings().optimizer
        var profile = Profiling.Options().optimizer
        XCTAssertLessThan(profile.maxIterations, fit.maxIterations, "each profile point starts next to its optimum")
        profile.maxIterations = fit.maxIterations
        XCTAssertEqual(profile, fit)
        XCTAssertEqual(fit, TrustRegionOptions())
        let earlier = TrustRegionOptions.earlierRules
        XCTAssertNotEqual(fit.hybridRule, earlier.hybridRule)
        XCTAssertNotEqual(fit.hybridStart, earlier.hybridStart)
        XCTAssertNotEqual(fit.functionTest, earlier.functionTest)
        XCTAssertNotEqual(fit.subspace, earlier.subspace)
        XCTAssertEqual(fit.hybridSwitch, earlier.hybridSwitch)
    }

    /// The first point on each side of every profile is the optimum the fit's optimiser (with the
    /// profile's iteration limit) reaches from the best values with the parameter held at the
    /// point: the same value to the last bit and the same exit. With `.earlierRules` the profile
    /// follows those instead; the two rule sets stop at different points on this problem (checked,
    /// so the comparison can tell them apart), and both lie within 1e-6 of the optimum found by a
    /// long run with tight tolerances.
    func testProfilePointsAreTheFitOptimiserWithTheParameterFixed() throws {
        let n = 5
        var space = try ParameterSpace([], file: "none")
        space.ids = (1 ... n).map { "x\($0)" }
        space.scales = Array(repeating: .lin, count: n)
        space.lower = Array(repeating: -2, count: n)
        space.upper = Array(repeating: 3, count: n)
        let best = [Double](repeating: 1, count: n)
        space.nominal = best
        let objective = rosenbrockChain()
        var tight = TrustRegionOptions()
        tight.maxIterations = 10_000
        tight.gradientTolerance = 1e-10
        tight.absoluteTolerance = 0
        tight.relativeTolerance = 0

        var fitRules = FitSettings().optimizer
        fitRules.maxIterations = Profiling.Options().optimizer.maxIterations
        var earlierRules = TrustRegionOptions.earlierRules
        earlierRules.maxIterations = fitRules.maxIterations
        // First steps of a fifth of the range: each first point lies far along the valley from the
        // best values, where the rules take different paths.
        var fitOptions = Profiling.Options()
        fitOptions.initialStep = 0.2
        var earlierOptions = fitOptions
        earlierOptions.optimizer = earlierRules

        let byFit = try Profiling.run(space: space, best: best, threads: 1, options: fitOptions, makeObjective: { rosenbrockChain() })
        let byEarlier = try Profiling.run(space: space, best: best, threads: 1, options: earlierOptions, makeObjective: { rosenbrockChain() })
        var told = 0
        for i in 0 ..< n {
            let free = (0 ..< n).filter { $0 != i }
            for direction in [-1.0, 1.0] {
                let next = best[i] + direction * (fitOptions.initialStep * (space.upper[i] - space.lower[i]))
                var full = best
                full[i] = next
                func direct(_ rules: TrustRegionOptions) -> OptimisationResult {
                    TrustRegionOptimizer(options: rules).minimize(
                        FixedCoordinatesObjective(objective, free: free, full: full), from: free.map { best[$0] },
                        lower: free.map { space.lower[$0] }, upper: free.map { space.upper[$0] })
                }
                let fit = direct(fitRules), earlier = direct(earlierRules)
                let profilePoint = try XCTUnwrap(byFit[i].points.first { $0.value == next }, "\(space.ids[i]) \(direction)")
                let earlierPoint = try XCTUnwrap(byEarlier[i].points.first { $0.value == next }, "\(space.ids[i]) \(direction)")
                XCTAssertEqual(profilePoint.llh, -fit.value, "\(space.ids[i]) \(direction)")
                XCTAssertEqual(profilePoint.exit, fit.exit, "\(space.ids[i]) \(direction)")
                XCTAssertEqual(earlierPoint.llh, -earlier.value, "\(space.ids[i]) \(direction)")
                XCTAssertEqual(earlierPoint.exit, earlier.exit, "\(space.ids[i]) \(direction)")
                if fit.value != earlier.value || fit.iterations != earlier.iterations { told += 1 }
                // Both at the optimum with the parameter fixed, to the tolerances' accuracy.
                var fixedTight = tight
                fixedTight.maxIterations = 10_000
                let reference = TrustRegionOptimizer(options: fixedTight).minimize(
                    FixedCoordinatesObjective(objective, free: free, full: full), from: free.map { best[$0] },
                    lower: free.map { space.lower[$0] }, upper: free.map { space.upper[$0] })
                XCTAssertEqual(fit.value, reference.value, accuracy: 1e-6 * max(1, reference.value), "\(space.ids[i]) \(direction)")
                XCTAssertEqual(earlier.value, reference.value, accuracy: 1e-6 * max(1, reference.value), "\(space.ids[i]) \(direction)")
            }
        }
        XCTAssertGreaterThan(told, 0, "the rule sets stop at the same points: the comparison cannot tell them apart")
    }
}
