import CascadeCore
import CascadeFormats
import Foundation
import XCTest

private func s(_ id: String) -> Expr { .symbol(id) }
private func n(_ v: Double) -> Expr { .number(v) }
private func ap(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

/// `parse(print(m)) == m`.
final class AntimonyRoundTripTests: XCTestCase {
    func testValidFixturesRoundTrip() throws {
        for url in try AntimonyFixtures.files(in: "valid") {
            assertAntimonyRoundTrip(try Antimony.parse(contentsOf: url), url.lastPathComponent)
        }
    }

    func testCrossCheckFixturesRoundTrip() throws {
        for url in try AntimonyFixtures.files(in: "crosscheck") {
            assertAntimonyRoundTrip(try Antimony.parse(contentsOf: url), url.lastPathComponent)
        }
    }

    /// Every expression shape, including ones the parser never builds itself (n-ary nodes with
    /// fewer than two arguments, negated literals, nested n-ary sums), survives printing.
    func testExpressionShapesRoundTrip() throws {
        let (a, b, c) = (s("a"), s("b"), s("c"))
        let shapes: [Expr] = [
            n(-5), ap(.neg, n(5)), ap(.neg, n(-5)), ap(.neg, ap(.neg, a)), ap(.neg, ap(.pow, a, n(2))),
            ap(.pow, ap(.neg, a), n(2)), ap(.pow, n(-2), n(2)), ap(.pow, a, n(-1)), ap(.pow, a, ap(.neg, b)),
            ap(.pow, ap(.pow, a, b), c), ap(.pow, a, ap(.pow, b, c)),
            ap(.add, a, n(-3)), ap(.mul, n(-3), a), ap(.sub, a, n(-1)), ap(.div, n(-1), a),
            ap(.add), ap(.add, a), ap(.mul), ap(.mul, a), ap(.add, a, b, c), ap(.add, ap(.add, a, b), c),
            ap(.add, a, ap(.add, b, c)), ap(.mul, ap(.mul, a, b), c), ap(.mul, a, ap(.mul, b, c)),
            ap(.sub, a, ap(.sub, b, c)), ap(.sub, ap(.sub, a, b), c), ap(.div, a, ap(.div, b, c)),
            ap(.sub, a), ap(.div, ap(.mul, a, b), ap(.add, b, c)),
            ap(.and), ap(.or, a), ap(.and, a, b, c), ap(.and, ap(.and, a, b), c), ap(.or, ap(.and, a, b), c),
            ap(.and, ap(.or, a, b), c), ap(.xor, a, b, c), ap(.not, ap(.lt, a, b)), ap(.not, n(-1)),
            ap(.lt, a, b, c), ap(.neq, a, b, c), ap(.lt, ap(.lt, a, b), c), ap(.gt, ap(.add, a, b), ap(.mul, b, c)),
            ap(.log, a), ap(.log, n(2), a), ap(.ln, a), ap(.log10, a), ap(.root, a), ap(.root, n(3), a), ap(.sqrt, a),
            ap(.min, a), ap(.max, a, b, c), ap(.rem, a, b), ap(.quotient, a, b), ap(.factorial, a), ap(.ceil, a),
            ap(.asin, a), ap(.acoth, a), ap(.rateOf, a),
            .piecewise([], otherwise: a), .piecewise([Expr.Piece(a, when: ap(.gt, b, c))], otherwise: nil),
            .piecewise([Expr.Piece(.piecewise([], otherwise: n(1)), when: ap(.gt, .time, n(0)))], otherwise: n(-2)),
            .call("f", [a, ap(.add, b, c)]), .call("g", []),
            ap(.mul, .time, n(Double.pi)), n(.infinity), n(-.infinity), ap(.neg, n(.infinity)),
        ]
        var m = Model(id: "shapes")
        m.functions = [
            FunctionDefinition(id: "f", arguments: ["x", "y"], body: ap(.mul, s("x"), s("y"))),
            FunctionDefinition(id: "g", arguments: [], body: n(1)),
        ]
        m.parameters = [Parameter(id: "a", value: 1), Parameter(id: "b", value: 2), Parameter(id: "c", value: 3)]
        for (i, e) in shapes.enumerated() {
            m.parameters.append(Parameter(id: "x\(i)", value: nil, constant: false))
            m.rules.append(.assignment(variable: "x\(i)", math: e))
        }
        assertAntimonyRoundTrip(m, "shapes")
    }

    func testNumbersRoundTripExactly() throws {
        let values: [Double] = [
            0, 1, -1, 0.1, 1.0 / 3, 2.0 / 3, 1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 123456789.123456789,
            1e15, 1e16, 999_999_999_999_999, 4_503_599_627_370_497, -2.5e-12, 6.02214076e23, 0.30000000000000004,
        ]
        var m = Model(id: "numbers")
        for (i, v) in values.enumerated() {
            m.parameters.append(Parameter(id: "p\(i)", value: v))
        }
        assertAntimonyRoundTrip(m, "numbers")
        let again = try Antimony.parse(Antimony.print(m))
        for (p, v) in zip(again.parameters, values) {
            XCTAssertEqual(p.value?.bitPattern, v.bitPattern, p.id)
        }
    }

    /// A model built with the Swift DSL (binary products, motif expansions) prints and parses back unchanged.
    func testDSLModelRoundTrips() throws {
        let m = Model("dsl", name: "Built in Swift") {
            Compartment(id: "cell", size: 2)
            Species(id: "L", compartment: "cell", initial: .concentration(1))
            Species(id: "R", compartment: "cell", initial: .concentration(0.5))
            Species(id: "LR", compartment: "cell", initial: .concentration(0))
            Species(id: "S", compartment: "cell", initial: .concentration(3))
            Species(id: "Sp", compartment: "cell", initial: .concentration(0))
            Species(id: "K", compartment: "cell", initial: .concentration(0.1))
            Species(id: "P", compartment: "cell", initial: .concentration(0.1))
            Species(id: "G", compartment: "cell", initial: .concentration(0))
            Parameter(id: "kon", value: 1e3)
            Parameter(id: "koff", value: 0.1)
            Parameter(id: "kcat", value: 2)
            Parameter(id: "km", value: 0.5)
            Parameter(id: "vmax", value: 1)
            Parameter(id: "n", value: 2)
            Binding("L", "R", complex: "LR", kon: "kon", koff: "koff", in: "cell")
            PhosphorylationCycle(
                "S", "Sp", kinase: "K", phosphatase: "P", kcat: "kcat", km: "km",
                kcatP: "kcat", kmP: "km", in: "cell")
            HillActivation("G", by: "Sp", vmax: "vmax", k: "km", n: "n", in: "cell")
            Reaction(id: "deg", reactants: [SpeciesReference("G")], rate: "cell" * "kon" * "G" * -2.5)
        }
        XCTAssertNoThrow(try m.validate())
        assertAntimonyRoundTrip(m, "dsl")
    }

    func testGeneratedLargeModelRoundTrips() throws {
        var text = "model chain()\n  compartment cell = 1\n"
        for i in 0 ..< 300 {
            text += "  J\(i): S\(i) => S\(i + 1); k\(i)*S\(i)*cell\n  S\(i) = \(Double(i) * 0.5)\n  k\(i) = \(1 + Double(i) / 7)\n"
        }
        text += "  S300 = 0\nend\n"
        let m = try parseAntimony(text)
        XCTAssertEqual(m.reactions.count, 300)
        assertAntimonyRoundTrip(m, "chain")
    }
}
