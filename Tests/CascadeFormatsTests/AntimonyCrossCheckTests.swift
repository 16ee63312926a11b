import CascadeCore
import CascadeFormats
import Foundation
import XCTest

private func s(_ id: String) -> Expr { .symbol(id) }
private func n(_ v: Double) -> Expr { .number(v) }
private func ap(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

/// The small well-known models in `Fixtures/antimony/crosscheck`, kept in plain Antimony so they
/// can be simulated by libRoadRunner for comparison. Here they must parse to the expected IR.
final class AntimonyCrossCheckTests: XCTestCase {
    func testThereAreAtLeastSixCrossCheckModels() throws {
        XCTAssertGreaterThanOrEqual(try AntimonyFixtures.files(in: "crosscheck").count, 6)
    }

    func testDecay() throws {
        let m = try AntimonyFixtures.model("crosscheck/decay.ant")
        XCTAssertEqual(m.species, [Species(id: "A", compartment: "cell", initial: .concentration(10))])
        XCTAssertEqual(m.reactions.first?.rate, ap(.mul, s("k"), s("A"), s("cell")))
        XCTAssertEqual(m.reactions.first?.products, [])
    }

    func testABCChain() throws {
        let m = try AntimonyFixtures.model("crosscheck/abc_chain.ant")
        XCTAssertEqual(m.species.map(\.id), ["A", "B", "C"])
        XCTAssertEqual(
            m.reactions.map { $0.reactants.map(\.species) + ["→"] + $0.products.map(\.species) },
            [["A", "→", "B"], ["B", "→", "C"]])
        XCTAssertEqual(m.parameters.map(\.value), [0.5, 0.2])
    }

    func testReversibleBinding() throws {
        let m = try AntimonyFixtures.model("crosscheck/reversible_binding.ant")
        let r = try XCTUnwrap(m.reaction("bind"))
        XCTAssertTrue(r.reversible)
        XCTAssertEqual(r.reactants.map(\.species), ["L", "R"])
        XCTAssertEqual(r.rate, ap(.mul, s("cell"), ap(.sub, ap(.mul, s("kon"), s("L"), s("R")), ap(.mul, s("koff"), s("LR")))))
        XCTAssertEqual(m.compartment("cell")?.size, 2)
    }

    func testMichaelisMenten() throws {
        let m = try AntimonyFixtures.model("crosscheck/michaelis_menten.ant")
        XCTAssertEqual(m.reaction("MM")?.modifiers, ["E"])
        XCTAssertEqual(m.reaction("MM")?.reversible, false)
        XCTAssertEqual(m.reaction("cat")?.products.map(\.species), ["E2", "P2"])
        XCTAssertEqual(
            m.initialAssignments,
            [
                InitialAssignment(
                    variable: "koff",
                    math: ap(.sub, ap(.mul, s("kon"), s("Km")), s("kcat")))
            ])
    }

    func testEventAtTimeFive() throws {
        let m = try AntimonyFixtures.model("crosscheck/event_time5.ant")
        let e = try XCTUnwrap(m.events.first)
        XCTAssertEqual(e.id, "dose")
        XCTAssertEqual(e.trigger, ap(.gt, .time, n(5)))
        XCTAssertEqual(
            e.assignments,
            [
                EventAssignment(variable: "A", math: n(10)),
                EventAssignment(variable: "k", math: ap(.mul, n(2), s("k"))),
            ])
        XCTAssertEqual(m.parameter("k")?.constant, false)
    }

    func testRules() throws {
        let m = try AntimonyFixtures.model("crosscheck/rules.ant")
        XCTAssertEqual(m.rules.map(\.variable), ["total", "x", "ratio"])
        XCTAssertEqual(m.rules[1], .rate(variable: "x", math: ap(.mul, n(-0.5), s("x"))))
        XCTAssertEqual(m.parameter("x")?.value, 1)
    }

    func testFunctionAndPiecewise() throws {
        let m = try AntimonyFixtures.model("crosscheck/function_piecewise.ant")
        XCTAssertEqual(m.functions.map(\.id), ["hill"])
        XCTAssertEqual(
            m.rules,
            [
                .assignment(
                    variable: "input",
                    math: .piecewise([Expr.Piece(n(0), when: ap(.lt, .time, n(10)))], otherwise: n(1)))
            ])
        XCTAssertEqual(m.reaction("J3")?.modifiers, ["S"])
    }

    func testTwoCompartments() throws {
        let m = try AntimonyFixtures.model("crosscheck/two_compartments.ant")
        XCTAssertEqual(m.compartments.map(\.size), [1, 0.25])
        XCTAssertEqual(m.species.map(\.compartment), ["cyt", "nuc"])
    }
}
