import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// The analytic Jacobian against central finite differences at random states.
final class JacobianTests: XCTestCase {
    func checkJacobian(_ model: Model, samples: Int = 5, seed: UInt64 = 42, file: StaticString = #filePath, line: UInt = #line) throws {
        let compiled = try CompiledModel(model)
        let (y0, p) = try compiled.initialValues()
        var rng = SplitMix64(seed: seed)
        for _ in 0 ..< samples {
            let y = y0.map { v in (abs(v) + 0.1) * (0.5 + Double(rng.next() % 1000) / 1000) }
            let t = Double(rng.next() % 100) / 10
            let j = compiled.jacobian(time: t, states: y, parameters: p)
            for col in 0 ..< y.count {
                let h = 1e-6 * max(1, abs(y[col]))
                var yp = y, ym = y
                yp[col] += h
                ym[col] -= h
                let fp = compiled.rightHandSide(time: t, states: yp, parameters: p)
                let fm = compiled.rightHandSide(time: t, states: ym, parameters: p)
                for row in 0 ..< y.count {
                    let fd = (fp[row] - fm[row]) / (2 * h)
                    // Allowed: truncation error of the central difference plus its round-off,
                    // which grows with the size of the right-hand side itself.
                    let roundOff = 100 * Double.ulpOfOne * max(abs(fp[row]), abs(fm[row])) / h
                    let allowed = 1e-5 * max(1e-6, abs(fd), abs(j[row][col])) + roundOff
                    XCTAssertLessThanOrEqual(
                        abs(fd - j[row][col]), allowed,
                        "\(model.id): J[\(compiled.stateIds[row])][\(compiled.stateIds[col])] = \(j[row][col]), FD \(fd)",
                        file: file, line: line)
                }
            }
        }
    }

    func testEveryTestModel() throws {
        for m in [
            TestModels.decay, TestModels.consecutive, TestModels.binding, TestModels.switched, TestModels.refill,
            TestModels.robertson, TestModels.kitchenSink, TestModels.chain(12),
        ] {
            try checkJacobian(m)
        }
    }

    func testSparsityPatternIsStructural() throws {
        let c = try CompiledModel(TestModels.chain(50))
        // Each forward step touches its own and the next species; the back reaction closes the loop.
        XCTAssertEqual(c.jacobianNonZeros, 2 * 49 + 2)
    }
}
