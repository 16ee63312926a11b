import CascadeCore
import CascadeFormats
import Foundation
import XCTest

private func s(_ id: String) -> Expr { .symbol(id) }
private func n(_ v: Double) -> Expr { .number(v) }
private func ap(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

/// What the printer writes, including for models that use things the subset cannot say.
final class AntimonyPrinterTests: XCTestCase {
    func testPrintedLayout() throws {
        let m = try parseAntimony(
            """
            function sq(x) x*x end
            model *layout()
              compartment cell = 2
              species A in cell = 1, $B in cell
              J1: A -> B; k*sq(A)*cell
              k = 0.5
              E1: at time > 1: k = 1
            end
            """)
        XCTAssertEqual(
            Antimony.print(m),
            """
            function sq(x)
              x*x
            end

            model *layout()

              // Compartments
              compartment cell = 2

              // Species
              species A in cell = 1
              species $B in cell = 0

              // Parameters
              k = 0.5

              // Reactions
              J1: A -> B; k*sq(A)*cell

              // Events
              E1: at time > 1: k = 1
            end

            """)
    }

    func testLocalParametersBecomeGlobal() throws {
        var m = Model(id: "local")
        m.species = [Species(id: "A", compartment: "default_compartment", initial: .concentration(1))]
        m.compartments = [Compartment(id: "default_compartment", size: 1)]
        m.parameters = [Parameter(id: "k", value: 9)]
        m.reactions = [
            Reaction(
                id: "R", reactants: [SpeciesReference("A")], rate: ap(.mul, s("k"), s("A")),
                localParameters: [Parameter(id: "k", value: 0.25)])
        ]
        let text = Antimony.print(m)
        XCTAssertTrue(text.contains("R_k = 0.25"), text)
        XCTAssertTrue(text.contains("R: A => ; R_k*A"), text)
        let back = try Antimony.parse(text)
        XCTAssertEqual(back.parameter("R_k")?.value, 0.25)
        XCTAssertEqual(back.parameter("k")?.value, 9)
        XCTAssertEqual(back.reaction("R")?.rate, ap(.mul, s("R_k"), s("A")))
        XCTAssertEqual(back.reaction("R")?.localParameters, [])
    }

    func testReservedIdsAreRenamed() throws {
        var m = Model(id: "model")
        m.parameters = [Parameter(id: "in", value: 1), Parameter(id: "time", value: 2), Parameter(id: "p", value: nil, constant: false)]
        m.functions = [FunctionDefinition(id: "exp", arguments: ["in"], body: ap(.mul, s("in"), n(2)))]
        m.rules = [.assignment(variable: "p", math: ap(.add, s("in"), .call("exp", [s("time")])))]
        let text = Antimony.print(m)
        let back = try Antimony.parse(text)
        XCTAssertEqual(back.id, "model_")
        XCTAssertEqual(back.parameters.map(\.id), ["in_", "time_", "p"])
        XCTAssertEqual(back.functions.map(\.id), ["exp_"])
        XCTAssertEqual(back.functions.first?.arguments, ["in_"])
        XCTAssertEqual(back.rules, [.assignment(variable: "p", math: ap(.add, s("in_"), .call("exp_", [s("time_")])))])
        XCTAssertTrue(text.contains("// Renamed:"), text)
    }

    func testAmountsAndConcentrationsThatNeedConversion() throws {
        var m = Model(id: "q")
        m.compartments = [Compartment(id: "c", size: 2)]
        m.species = [
            Species(id: "A", compartment: "c", initial: .amount(4)),
            Species(id: "B", compartment: "c", initial: .concentration(3), hasOnlySubstanceUnits: true),
        ]
        let back = try Antimony.parse(Antimony.print(m))
        XCTAssertEqual(
            back.initialAssignments,
            [
                InitialAssignment(variable: "A", math: ap(.div, n(4), s("c"))),
                InitialAssignment(variable: "B", math: ap(.mul, n(3), s("c"))),
            ])
    }

    func testWhatCannotBeSaidIsListed() throws {
        var m = Model(id: "lossy")
        m.parameters = [Parameter(id: "x", value: 1, constant: false), Parameter(id: "cf", value: 1)]
        m.rules = [.algebraic(math: ap(.sub, s("x"), n(1)))]
        m.observables = [Observable(id: "obs", math: ap(.mul, s("x"), n(2)))]
        m.conversionFactor = "cf"
        m.timeUnits = "second"
        let text = Antimony.print(m)
        XCTAssertTrue(text.contains("// Not expressible in the Antimony subset (dropped):"), text)
        XCTAssertTrue(text.contains("algebraic rule 0 = x - 1"), text)
        XCTAssertTrue(text.contains("observable obs := x*2"), text)
        XCTAssertTrue(text.contains("model conversion factor cf"), text)
        XCTAssertTrue(text.contains("model time units second"), text)
        let back = try Antimony.parse(text)
        XCTAssertEqual(back.rules, [])
        XCTAssertEqual(back.observables, [])
        XCTAssertEqual(back.parameter("x")?.constant, false, "written as 'var x = 1'")
    }

    func testBoundaryAndConstancyFlagsAreWrittenWhenNotImplied() throws {
        var m = Model(id: "flags")
        m.compartments = [Compartment(id: "c", size: 1, constant: false)]
        m.species = [
            Species(id: "A", compartment: "c", initial: .concentration(1), boundaryCondition: true),
            Species(id: "R", compartment: "c", initial: .concentration(1), boundaryCondition: false),
        ]
        m.parameters = [Parameter(id: "k", value: 1, constant: false), Parameter(id: "e", value: 0, constant: true)]
        m.rules = [.rate(variable: "R", math: n(1))]
        m.events = [Event(id: "E", trigger: ap(.gt, .time, n(1)), assignments: [EventAssignment(variable: "e", math: n(1))])]
        let text = Antimony.print(m)
        XCTAssertTrue(text.contains("var compartment c = 1"), text)
        XCTAssertTrue(text.contains("species $A in c = 1"), text)
        XCTAssertTrue(text.contains("var species R in c = 1"), text)
        XCTAssertTrue(text.contains("var k = 1"), text)
        XCTAssertTrue(text.contains("const e = 0"), text)
        let back = try Antimony.parse(String(text.replacingOccurrences(of: "\n  // Events\n  E: at time > 1: e = 1\n", with: "\n")))
        XCTAssertEqual(back.species.map(\.boundaryCondition), [true, false])
        XCTAssertEqual(back.compartment("c")?.constant, false)
        XCTAssertEqual(back.parameter("k")?.constant, false)
    }
}
