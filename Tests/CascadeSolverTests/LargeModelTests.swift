import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// Models whose size used to crash or stall the compiler: long chains of rules (recursion one
/// frame group per rule overflowed the stack) and nested functions (inlining doubled the work per
/// level). Checked against the closed form of the decay they drive.
final class LargeModelTests: XCTestCase {
    let options: SolverOptions = {
        var o = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14)
        o.maxSteps = 1_000_000
        return o
    }()

    /// A → ∅ at rate k·A·f, where `f` is whatever `extra` defines.
    func decay(rateFactor: Expr, _ extra: [any ModelComponent]) -> Model {
        var m = Model("large") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(1))
            Parameter(id: "k", value: 0.1)
            Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "c" * "k" * "A" * rateFactor)
        }
        for x in extra { x.contribute(to: &m) }
        return m
    }

    func assertDecays(_ m: Model, rate: Double, line: UInt = #line) throws {
        let sim = try Simulator(CompiledModel(m), options: options)
        let traj = try sim.simulate(times: [0, 1, 2], outputs: [OutputColumn("A")])
        for (i, t) in [0.0, 1, 2].enumerated() {
            XCTAssertEqual(traj[i, 0], exp(-rate * t), accuracy: 1e-7, "A(\(t))", line: line)
        }
    }

    /// `v0 := v1`, `v1 := v2`, ..., `v20000 = 3`: the rate constant is 0.1 · 3.
    func testChainOfTwentyThousandAssignmentRules() throws {
        let n = 20_000
        var extra: [any ModelComponent] = []
        for i in 0 ..< n {
            extra.append(Parameter(id: "v\(i)", value: nil, constant: false))
            extra.append(Rule.assignment(variable: "v\(i)", math: .symbol("v\(i + 1)")))
        }
        extra.append(Parameter(id: "v\(n)", value: 3))
        try assertDecays(decay(rateFactor: "v0", extra), rate: 0.3)
    }

    /// The same chain as initial assignments to the initial amount: A(0) = w0 = w1 = ... = 1.
    func testChainOfTwentyThousandInitialAssignments() throws {
        let n = 20_000
        var extra: [any ModelComponent] = [InitialAssignment(variable: "A", math: "w0")]
        for i in 0 ..< n {
            extra.append(Parameter(id: "w\(i)", value: 0))
            extra.append(InitialAssignment(variable: "w\(i)", math: .symbol("w\(i + 1)")))
        }
        extra.append(Parameter(id: "w\(n)", value: 1))
        try assertDecays(decay(rateFactor: 1, extra), rate: 0.1)
    }

    /// A rule chain that closes on itself is refused with the cycle, not a stack overflow.
    func testLongRuleCycleIsAnError() throws {
        let n = 20_000
        var extra: [any ModelComponent] = []
        for i in 0 ..< n {
            extra.append(Parameter(id: "v\(i)", value: nil, constant: false))
            extra.append(Rule.assignment(variable: "v\(i)", math: .symbol("v\((i + 1) % n)")))
        }
        XCTAssertThrowsError(try CompiledModel(decay(rateFactor: "v0", extra))) { error in
            XCTAssertTrue("\(error)".contains("cycle"), "\(error)")
        }
    }

    /// `g0(x) = 2x`, `gi(x) = g(i-1)(x) + g(i-1)(x)`: g40(x) = 2^41 x. Inlined as a tree this is
    /// 2^40 copies of the innermost body; through the shared graph it is 41 nodes.
    func testFortyNestedFunctionsEachCalledTwice() throws {
        var extra: [any ModelComponent] = [FunctionDefinition(id: "g0", arguments: ["x"], body: 2 * "x")]
        for i in 1 ... 40 {
            let inner = Expr.call("g\(i - 1)", ["x"])
            extra.append(FunctionDefinition(id: "g\(i)", arguments: ["x"], body: inner + inner))
        }
        let x: Double = 0.5 / Double(1 << 41)  // g40(x) = 0.5
        try assertDecays(decay(rateFactor: .call("g40", [.number(x)]), extra), rate: 0.05)
    }
}
