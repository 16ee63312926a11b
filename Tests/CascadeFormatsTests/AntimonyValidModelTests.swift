import CascadeCore
import CascadeFormats
import Foundation
import XCTest

private func s(_ id: String) -> Expr { .symbol(id) }
private func n(_ v: Double) -> Expr { .number(v) }
private func ap(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

/// The IR parsed from each file in `Fixtures/antimony/valid`.
final class AntimonyValidModelTests: XCTestCase {
    func testThereAreAtLeastEightValidModels() throws {
        XCTAssertGreaterThanOrEqual(try AntimonyFixtures.files(in: "valid").count, 8)
    }

    func testReactions() throws {
        let m = try AntimonyFixtures.model("valid/reactions.ant")
        XCTAssertEqual(m.id, "reactions")
        XCTAssertEqual(m.compartments.map(\.id), ["cell", "default_compartment"])
        XCTAssertEqual(m.compartment("cell")?.size, 2.5)
        XCTAssertEqual(m.compartment("default_compartment")?.size, 1)
        XCTAssertEqual(m.species.map(\.id), ["A", "B", "C", "D", "Enz", "Src", "E", "F", "G"])
        XCTAssertEqual(m.species("A")?.compartment, "cell")
        XCTAssertEqual(m.species("Src")?.compartment, "default_compartment")
        XCTAssertEqual(m.species.filter(\.boundaryCondition).map(\.id), ["Src"])
        XCTAssertEqual(m.reactions.map(\.id), ["J1", "J2", "_J0", "_J1", "_J2", "J3", "J4", "J5", "J6"])

        let j1 = try XCTUnwrap(m.reaction("J1"))
        XCTAssertEqual(j1.reactants, [SpeciesReference("A", 1), SpeciesReference("B", 2)])
        XCTAssertEqual(j1.products, [SpeciesReference("C", 1)])
        XCTAssertTrue(j1.reversible)
        XCTAssertEqual(j1.rate, ap(.mul, s("k1"), s("A"), s("B")))
        XCTAssertEqual(j1.modifiers, [])

        let j2 = try XCTUnwrap(m.reaction("J2"))
        XCTAssertFalse(j2.reversible)
        XCTAssertEqual(j2.products, [SpeciesReference("D", 0.5)])

        XCTAssertEqual(m.reaction("_J0")?.reactants, [])
        XCTAssertEqual(m.reaction("_J0")?.products, [SpeciesReference("A")])
        XCTAssertEqual(m.reaction("_J0")?.rate, s("k0"))
        XCTAssertEqual(m.reaction("_J1")?.products, [])
        XCTAssertEqual(m.reaction("_J2")?.reactants, [SpeciesReference("Src")])
        XCTAssertEqual(m.reaction("_J2")?.products, [SpeciesReference("A", 2)])

        let j3 = try XCTUnwrap(m.reaction("J3"))
        XCTAssertEqual(j3.compartment, "cell")
        XCTAssertEqual(j3.reactants.map(\.species), ["B", "E"])
        XCTAssertEqual(j3.products.map(\.species), ["B", "F"])
        XCTAssertEqual(m.reaction("J4")?.rate, ap(.mul, s("kf"), s("F")))
        XCTAssertEqual(m.reaction("J5")?.reactants, [SpeciesReference("G", 1.5)])
        XCTAssertEqual(m.reaction("J5")?.compartment, "cell")
        XCTAssertEqual(m.reaction("J6")?.modifiers, ["Enz"])

        XCTAssertEqual(m.species("A")?.initial, .concentration(1))
        XCTAssertEqual(m.species("Enz")?.initial, .concentration(0.01))
        XCTAssertEqual(m.parameter("kd")?.value, 0.5)
        XCTAssertEqual(m.parameter("k0")?.value, 1e-3)
        XCTAssertTrue(m.parameters.allSatisfy(\.constant))
    }

    func testDeclarations() throws {
        let m = try AntimonyFixtures.model("valid/declarations.ant")
        XCTAssertEqual(m.id, "declarations")
        XCTAssertEqual(m.compartments.map(\.id), ["cyt", "nuc", "cyt2", "vol", "default_compartment"])
        XCTAssertEqual(m.compartments.map(\.size), [1e-12, 1, 2, 1, 2])
        XCTAssertEqual(m.compartments.map(\.constant), [true, true, true, false, true])
        XCTAssertEqual(m.species.map(\.id), ["A", "B", "C", "D", "S", "K", "V", "M", "N"])
        // `species A, B in nuc`: as in Antimony, `in` binds to the name before it only.
        XCTAssertEqual(
            m.species.map(\.compartment),
            ["default_compartment", "nuc", "cyt", "cyt", "nuc", "cyt", "cyt", "cyt", "default_compartment"])
        XCTAssertEqual(m.species("C")?.initial, .concentration(5))
        XCTAssertEqual(m.species("D")?.initial, .concentration(3))
        XCTAssertEqual(m.species("S")?.initial, .amount(7))
        XCTAssertEqual(m.species("S")?.hasOnlySubstanceUnits, true)
        XCTAssertEqual(m.species.filter(\.boundaryCondition).map(\.id), ["D", "K"])
        XCTAssertTrue(m.species.allSatisfy { !$0.constant })
        XCTAssertEqual(m.species("N")?.initial, .concentration(0))
        XCTAssertEqual(m.parameters.map(\.id), ["f1", "k1", "x"])
        XCTAssertEqual(m.parameters.map(\.value), [3, 0.1, 2])
        XCTAssertEqual(m.parameters.map(\.constant), [true, true, false])
        XCTAssertEqual(m.rules, [.rate(variable: "vol", math: n(0.1))])
        XCTAssertEqual(m.events.count, 1)
        XCTAssertEqual(m.reactions.first?.rate, ap(.mul, s("k1"), s("A")))
    }

    func testValuesUnitsAndNames() throws {
        let m = try AntimonyFixtures.model("valid/values_units.ant")
        XCTAssertEqual(m.name, "Values and units")
        XCTAssertEqual(m.unitDefinitions.map(\.id), ["uM", "per_second", "substance", "area", "speed", "weird"])
        XCTAssertEqual(
            m.unitDefinitions[0].factors,
            [
                UnitDefinition.Factor(kind: "mole", exponent: 1, multiplier: 1e-6),
                UnitDefinition.Factor(kind: "litre", exponent: -1),
            ])
        XCTAssertEqual(m.unitDefinitions[1].factors, [UnitDefinition.Factor(kind: "second", exponent: -1)])
        XCTAssertEqual(
            m.unitDefinitions[4].factors,
            [
                UnitDefinition.Factor(kind: "metre", exponent: 1, multiplier: 1000),
                UnitDefinition.Factor(kind: "second", exponent: -1, multiplier: 3600),
            ])
        XCTAssertEqual(
            m.unitDefinitions[5].factors,
            [
                UnitDefinition.Factor(kind: "mole", exponent: 2, multiplier: 0.001),
                UnitDefinition.Factor(kind: "litre", exponent: -1),
            ])
        XCTAssertEqual(m.substanceUnits, "substance")
        XCTAssertNil(m.timeUnits)

        XCTAssertEqual(m.compartment("cell")?.size, 1.5)
        XCTAssertEqual(m.compartment("cell")?.units, "litre")
        XCTAssertEqual(m.compartment("cell")?.name, "the \"cell\"")
        XCTAssertEqual(m.species("A")?.initial, .concentration(10))
        XCTAssertEqual(m.species("A")?.units, "uM")
        XCTAssertEqual(m.species("A")?.name, "Adenosine")
        XCTAssertNil(m.species("B")?.initial)
        XCTAssertEqual(m.species("B")?.units, "uM")
        XCTAssertEqual(m.parameter("k3")?.value, 3)
        XCTAssertEqual(m.parameter("k3")?.units, "per_second")
        XCTAssertEqual(m.parameter("k3")?.name, "rate constant three")
        XCTAssertNil(m.parameter("k2")?.value)
        XCTAssertEqual(m.reaction("J1")?.name, "conversion")
        XCTAssertEqual(
            m.initialAssignments,
            [
                InitialAssignment(variable: "B", math: ap(.mul, s("A"), n(2))),
                InitialAssignment(variable: "k2", math: ap(.mul, s("k1"), n(10))),
                InitialAssignment(variable: "t_half", math: ap(.div, ap(.ln, n(2)), s("k1"))),
            ])
        XCTAssertEqual(m.parameter("big")?.value, 1500)
        XCTAssertEqual(m.parameter("small")?.value, 2.5e-12)
        XCTAssertEqual(m.parameter("neg")?.value, -4.5)
        XCTAssertEqual(m.parameter("dot")?.value, 0.25)
        XCTAssertEqual(m.parameter("int")?.value, 42)
        XCTAssertEqual(m.parameter("a")?.value, 2, "the last value written wins")
    }

    func testRules() throws {
        let m = try AntimonyFixtures.model("valid/rules.ant")
        XCTAssertEqual(
            m.rules,
            [
                .assignment(variable: "k1", math: ap(.mul, s("k0"), ap(.add, n(1), ap(.sin, .time)))),
                .assignment(variable: "total", math: ap(.add, s("S1"), s("S2"))),
                .rate(variable: "Sr", math: ap(.mul, n(-0.1), s("Sr"))),
                .assignment(variable: "Sa", math: ap(.mul, n(2), s("S1"))),
                .rate(variable: "p", math: ap(.neg, s("p"))),
                .rate(variable: "Sv", math: n(0)),
                .assignment(variable: "cv", math: ap(.add, n(1), ap(.mul, n(0.1), .time))),
            ])
        XCTAssertNil(m.parameter("k1")?.value)
        XCTAssertEqual(m.parameter("k1")?.constant, false)
        XCTAssertEqual(m.parameter("k0")?.constant, true)
        XCTAssertEqual(m.parameter("p")?.value, 1)
        XCTAssertEqual(m.parameter("p")?.constant, false)
        // Species set by rules are boundary species, as in Antimony, unless declared `var`.
        XCTAssertEqual(m.species.filter(\.boundaryCondition).map(\.id), ["Sr", "Sa"])
        XCTAssertEqual(m.species("Sr")?.initial, .concentration(2))
        XCTAssertNil(m.species("Sa")?.initial)
        XCTAssertEqual(m.compartment("cv")?.constant, false)
        XCTAssertEqual(m.compartment("cv")?.size, 1)
        XCTAssertEqual(m.compartment("c")?.constant, true)
    }

    func testEvents() throws {
        let m = try AntimonyFixtures.model("valid/events.ant")
        XCTAssertEqual(m.events.map(\.id), ["E1", "E2", "_E0", "_E1", "E3"])

        let e1 = m.events[0]
        XCTAssertEqual(e1.trigger, ap(.gt, .time, n(600)))
        XCTAssertEqual(e1.priority, n(1))
        XCTAssertNil(e1.delay)
        XCTAssertFalse(e1.persistent)
        XCTAssertFalse(e1.triggerInitialValue)
        XCTAssertFalse(e1.useValuesFromTriggerTime)
        XCTAssertEqual(e1.assignments, [EventAssignment(variable: "A", math: n(5)), EventAssignment(variable: "B", math: n(0))])

        let e2 = m.events[1]
        XCTAssertEqual(e2.delay, n(10))
        XCTAssertEqual(e2.trigger, ap(.gt, .time, n(600)))
        XCTAssertTrue(e2.persistent && e2.triggerInitialValue && e2.useValuesFromTriggerTime)
        XCTAssertNil(e2.priority)

        XCTAssertEqual(m.events[2].assignments, [EventAssignment(variable: "y", math: ap(.add, s("y"), n(1)))])

        let e4 = m.events[3]
        XCTAssertEqual(e4.delay, ap(.mul, n(2), s("k")))
        XCTAssertEqual(e4.trigger, ap(.lt, s("A"), n(0.5)))
        XCTAssertEqual(e4.priority, ap(.add, s("x"), n(1)))
        XCTAssertEqual(e4.assignments.map(\.variable), ["A", "B"])

        let e3 = m.events[4]
        XCTAssertEqual(e3.trigger, ap(.and, ap(.gt, s("x"), n(0)), ap(.ge, s("y"), n(1))))
        XCTAssertTrue(e3.persistent && e3.triggerInitialValue && e3.useValuesFromTriggerTime)
        XCTAssertEqual(e3.assignments.map(\.variable), ["x", "y"])
        XCTAssertEqual(e3.name, "reset")

        // Variables changed by events are not constant.
        XCTAssertEqual(m.parameter("x")?.constant, false)
        XCTAssertEqual(m.parameter("y")?.constant, false)
        XCTAssertEqual(m.parameter("k")?.constant, true)
    }

    func testFunctions() throws {
        let m = try AntimonyFixtures.model("valid/functions.ant")
        XCTAssertEqual(m.functions.map(\.id), ["hill", "mm", "step"])
        XCTAssertEqual(m.functions[0].arguments, ["x", "K", "n"])
        XCTAssertEqual(
            m.functions[0].body,
            ap(.div, ap(.pow, s("x"), s("n")), ap(.add, ap(.pow, s("K"), s("n")), ap(.pow, s("x"), s("n")))))
        XCTAssertEqual(m.functions[2].body, .piecewise([Expr.Piece(n(0), when: ap(.lt, s("t"), s("t0")))], otherwise: n(1)))
        XCTAssertEqual(m.reaction("J1")?.rate, .call("mm", [s("S"), s("Vm"), s("Km")]))
        XCTAssertEqual(
            m.reaction("J2")?.rate,
            ap(.mul, s("v0"), .call("hill", [s("P"), s("Kp"), n(2)]), .call("step", [.time, n(5)])))
        XCTAssertEqual(m.reaction("J2")?.modifiers, ["P"])

        func ops(_ e: Expr) -> Set<Op> {
            var out = Set<Op>()
            e.visit { if case .apply(let op, _) = $0 { out.insert(op) } }
            return out
        }
        let g = try XCTUnwrap(m.rules.first { $0.variable == "g" }).math
        XCTAssertTrue(ops(g).isSuperset(of: [.exp, .ln, .log, .log10, .sqrt, .root, .abs, .floor, .ceil]))
        var logs: [Expr] = []
        g.visit { if case .apply(.log, _) = $0 { logs.append($0) } }
        XCTAssertEqual(logs, [ap(.log, n(3)), ap(.log, n(2), n(8))], "log(x) is the natural log, log(b, x) has a base")
        let h = try XCTUnwrap(m.rules.first { $0.variable == "h" }).math
        XCTAssertTrue(
            ops(h).isSuperset(of: [
                .min, .max, .pow, .factorial, .sin, .cos, .tan, .asin, .acos, .atan,
                .sinh, .cosh, .tanh, .acosh, .sec, .csc, .cot, .rem, .quotient,
            ]))
        var pows: [Expr] = []
        h.visit { if case .apply(.pow, _) = $0 { pows.append($0) } }
        XCTAssertEqual(pows, [ap(.pow, n(2), n(3)), ap(.pow, n(2), n(2)), ap(.pow, n(3), n(2))], "pow, power and sqr")
        XCTAssertEqual(
            m.rules.first { $0.variable == "b" }?.math,
            .piecewise([Expr.Piece(n(1), when: ap(.gt, s("S"), n(5)))], otherwise: n(0)))
        XCTAssertEqual(
            m.rules.first { $0.variable == "b2" }?.math,
            .piecewise(
                [Expr.Piece(n(1), when: ap(.gt, s("S"), n(8))), Expr.Piece(n(2), when: ap(.gt, s("S"), n(4)))],
                otherwise: nil))
    }

    func testExpressions() throws {
        let m = try AntimonyFixtures.model("valid/expressions.ant")
        var rule: [String: Expr] = [:]
        for r in m.rules { rule[r.variable!] = r.math }
        let (a, b, c, d) = (s("a"), s("b"), s("c"), s("d"))
        XCTAssertEqual(rule["e1"], ap(.sub, ap(.add, a, ap(.mul, b, c)), ap(.div, d, a)))
        XCTAssertEqual(rule["e2"], ap(.pow, a, ap(.pow, b, c)))
        XCTAssertEqual(rule["e3"], ap(.neg, ap(.pow, a, n(2))))
        XCTAssertEqual(rule["e4"], ap(.pow, ap(.neg, a), n(2)))
        XCTAssertEqual(rule["e5"], ap(.add, a, b, c, d))
        XCTAssertEqual(rule["e6"], ap(.add, ap(.add, a, b), c))
        XCTAssertEqual(rule["e7"], ap(.div, ap(.mul, a, ap(.add, b, c)), d))
        XCTAssertEqual(rule["e8"], ap(.sub, ap(.add, n(-2), n(0.03)), ap(.mul, n(1500), n(0.5))))
        XCTAssertEqual(rule["e9"], ap(.or, ap(.and, ap(.gt, a, b), ap(.le, c, d)), ap(.not, ap(.eq, a, b))))
        XCTAssertEqual(
            rule["e10"],
            ap(
                .add,
                ap(.and, ap(.gt, a, n(1)), ap(.gt, b, n(1)), ap(.gt, c, n(1))),
                ap(.or, ap(.lt, a, n(1)), ap(.lt, b, n(1))),
                ap(.xor, ap(.gt, a, n(1)), ap(.gt, b, n(1))),
                ap(.not, ap(.gt, a, n(1)))))
        XCTAssertEqual(rule["e11"], ap(.neq, a, b))
        XCTAssertEqual(rule["e12"], ap(.lt, a, b, c))
        XCTAssertEqual(rule["e13"], ap(.or, ap(.and, ap(.gt, a, n(1)), ap(.lt, b, n(2))), ap(.not, c)))
        XCTAssertEqual(rule["e14"], ap(.add, a, b, c))
        XCTAssertEqual(rule["e15"], ap(.add, a, b))
        XCTAssertEqual(rule["e16"], ap(.add, n(Double.pi), n(2.718281828459045), n(1), n(0)))
        XCTAssertEqual(rule["e17"], ap(.mul, .time, n(2)))
        XCTAssertEqual(rule["e18"], ap(.add, ap(.add, a, b, c), ap(.mul, a), ap(.sub, a, b), ap(.div, a, b)))
        XCTAssertEqual(
            rule["e19"],
            ap(
                .add, ap(.eq, a, b), ap(.neq, a, b), ap(.gt, a, b), ap(.lt, a, b),
                ap(.ge, a, b), ap(.le, a, b)))
        XCTAssertEqual(rule["e20"], ap(.sub, ap(.add, ap(.neg, n(5)), ap(.neg, ap(.neg, a)), ap(.pow, n(2), n(-1)), a), n(-1)))
    }

    func testTopLevelStatementsFormTheMainModel() throws {
        let m = try AntimonyFixtures.model("valid/main_no_model.ant")
        XCTAssertEqual(m.id, "__main")
        XCTAssertEqual(m.reactions.map(\.id), ["_J0"])
        XCTAssertEqual(m.species.map(\.id), ["S1", "S2"])
        XCTAssertEqual(m.species("S1")?.initial, .concentration(10))
        XCTAssertEqual(m.compartments.map(\.id), ["default_compartment"])
        XCTAssertEqual(m.parameter("k1")?.value, 0.1)
    }

    func testModuleKeywordCRLFAndTabs() throws {
        let m = try AntimonyFixtures.model("valid/crlf_module.ant")
        XCTAssertEqual(m.id, "m_crlf")
        XCTAssertEqual(m.reactions.first?.rate, ap(.mul, s("k"), s("A")))
        XCTAssertEqual(m.species("A")?.initial, .concentration(3))
        XCTAssertEqual(m.parameter("k")?.value, 2)
    }

    func testEveryValidModelPassesValidation() throws {
        for url in try AntimonyFixtures.files(in: "valid") {
            let m = try Antimony.parse(contentsOf: url)
            XCTAssertNoThrow(try m.validate(), url.lastPathComponent)
        }
    }
}
