import CascadeCore
import CascadeSolver
import XCTest

/// Robertson's problem with the settings of SUNDIALS' cvRoberts_dns example, through Cascade's
/// compiler and integrator, compared with the example's published output.
final class RobertsonTests: XCTestCase {
    /// From examples/cvode/serial/cvRoberts_dns.out in the SUNDIALS repository (v6.4.1),
    /// printed there with %14.6e: t, y1, y2, y3 at the example's output times.
    static let published: [[Double]] = [
        [4.0000e-01, 9.851641e-01, 3.386242e-05, 1.480205e-02],
        [4.0000e+00, 9.055097e-01, 2.240338e-05, 9.446793e-02],
        [4.0000e+01, 7.158017e-01, 9.185037e-06, 2.841892e-01],
        [4.0000e+02, 4.505360e-01, 3.223271e-06, 5.494608e-01],
        [4.0000e+03, 1.832299e-01, 8.944378e-07, 8.167692e-01],
        [4.0000e+04, 3.898902e-02, 1.622006e-07, 9.610108e-01],
        [4.0000e+05, 4.936383e-03, 1.984224e-08, 9.950636e-01],
        [4.0000e+06, 5.168093e-04, 2.068293e-09, 9.994832e-01],
        [4.0000e+07, 5.202440e-05, 2.081083e-10, 9.999480e-01],
        [4.0000e+08, 5.201061e-06, 2.080435e-11, 9.999948e-01],
        [4.0000e+09, 5.258603e-07, 2.103442e-12, 9.999995e-01],
        [4.0000e+10, 6.934511e-08, 2.773804e-13, 9.999999e-01],
    ]

    /// The example's model: the reactions plus its two root functions, here as events without
    /// assignments (g1 = y1 − 1e-4, g2 = y3 − 0.01), which stop the integrator as in the example.
    static var model: Model {
        var m = TestModels.robertson
        m.events = [
            Event(id: "g1", trigger: .apply(.lt, ["y1", 1e-4]), assignments: []),
            Event(id: "g2", trigger: .apply(.gt, ["y3", 0.01]), assignments: []),
        ]
        return m
    }

    static var options: SolverOptions {
        var o = SolverOptions(relativeTolerance: 1e-4, absoluteTolerance: 1e-8)
        o.absoluteTolerances = ["y1": 1e-8, "y2": 1e-14, "y3": 1e-6]
        o.maxSteps = 500  // CVODE's default, as in the example
        return o
    }

    func run(_ kernels: SolverOptions.Kernels) throws -> Trajectory {
        var o = Self.options
        o.kernels = kernels
        let sim = try Simulator(CompiledModel(Self.model), options: o)
        return try sim.simulate(times: Self.published.map { $0[0] }, outputs: ["y1", "y2", "y3"].map { OutputColumn($0) }, start: 0)
    }

    func testReproducesPublishedOutputToFourSignificantDigits() throws {
        let traj = try run(.optimised)
        for (i, row) in Self.published.enumerated() {
            for c in 0 ..< 3 {
                let rel = abs(traj[i, c] - row[c + 1]) / abs(row[c + 1])
                XCTAssertLessThan(rel, 5e-5, "y\(c + 1) at t = \(row[0]): \(traj[i, c]) vs published \(row[c + 1])")
            }
        }
        XCTAssertEqual(traj.statistics.eventsExecuted, 2, "both root functions fire once")
    }

    func testOptimisedAndStockKernelsGiveIdenticalBits() throws {
        let a = try run(.optimised), b = try run(.stock)
        XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern))
        XCTAssertEqual(a.statistics, b.statistics)
    }
}
