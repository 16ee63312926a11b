import CascadeCore
import XCTest

/// Invalid models built through the API and the DSL give one clear error each, never a crash.
final class ValidationTests: XCTestCase {
    func errors(_ m: Model) -> [ModelError] { m.validationErrors() }

    func assertError(
        _ m: Model, _ kind: ModelError.Kind, element: String, containing text: String,
        line: UInt = #line
    ) {
        let errs = errors(m)
        XCTAssertTrue(
            errs.contains { $0.kind == kind && $0.element == element && $0.message.contains(text) },
            "expected \(kind) on \(element) containing '\(text)', got \(errs)", line: line)
        XCTAssertThrowsError(try m.validate(), line: line)
    }

    var base: Model {
        Model("base") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(1))
            Species(id: "B", compartment: "c", initial: .concentration(0))
            Parameter(id: "k", value: 0.1)
            Reaction(id: "R1", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")], rate: "k" * "A")
        }
    }

    func testValidModelHasNoErrors() {
        XCTAssertEqual(errors(base), [])
        XCTAssertNoThrow(try base.validate())
    }

    func testUnknownIdInRateLaw() {
        var m = base
        m.reactions[0].rate = "k2" * "A"
        assertError(m, .unknownId, element: "R1", containing: "unknown id 'k2'")
    }

    func testUnknownSpeciesInReaction() {
        var m = base
        m.reactions[0].products = [SpeciesReference("C")]
        assertError(m, .unknownId, element: "R1", containing: "unknown species 'C'")
    }

    func testUnknownCompartment() {
        var m = base
        m.species[0].compartment = "nucleus"
        assertError(m, .unknownId, element: "A", containing: "unknown compartment 'nucleus'")
    }

    func testDuplicateIds() {
        var m = base
        m.parameters.append(Parameter(id: "A", value: 1))
        assertError(m, .duplicateId, element: "A", containing: "declared twice")
    }

    func testAssignmentRuleCycle() {
        var m = base
        m.parameters += [Parameter(id: "x", value: nil, constant: false), Parameter(id: "y", value: nil, constant: false)]
        m.rules = [.assignment(variable: "x", math: "y" + 1), .assignment(variable: "y", math: "x" * 2)]
        assertError(m, .ruleCycle, element: "x", containing: "cycle")
    }

    func testVariableSetByTwoRules() {
        var m = base
        m.parameters.append(Parameter(id: "x", value: 1, constant: false))
        m.rules = [.assignment(variable: "x", math: 1), .rate(variable: "x", math: 2)]
        assertError(m, .multipleDefinitions, element: "x", containing: "set by both")
    }

    func testRuleOnConstant() {
        var m = base
        m.rules = [.assignment(variable: "k", math: 1)]
        assertError(m, .assignsConstant, element: "k", containing: "declared constant")
    }

    func testEventAssigningConstant() {
        var m = base
        m.events = [Event(id: "E1", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "k", math: 0)])]
        assertError(m, .assignsConstant, element: "E1", containing: "'k', which is declared constant")
    }

    func testEventAssigningUnknownVariable() {
        var m = base
        m.events = [Event(id: "E1", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "zz", math: 0)])]
        assertError(m, .unknownId, element: "E1", containing: "unknown variable 'zz'")
    }

    func testFunctionArityAndUnknownFunction() {
        var m = base
        m.functions = [FunctionDefinition(id: "f", arguments: ["x"], body: "x" * 2)]
        m.reactions[0].rate = .call("f", ["A", "k"])
        assertError(m, .badArity, element: "R1", containing: "takes 1 argument, given 2")
        m.reactions[0].rate = .call("g", ["A"])
        assertError(m, .unknownId, element: "R1", containing: "unknown function 'g'")
    }

    func testFunctionBodyMayOnlyUseItsArguments() {
        var m = base
        m.functions = [FunctionDefinition(id: "f", arguments: ["x"], body: "x" * "k")]
        assertError(m, .unknownId, element: "f", containing: "not one of its arguments")
    }

    func testRecursiveFunctions() {
        var m = base
        m.functions = [
            FunctionDefinition(id: "f", arguments: ["x"], body: .call("g", ["x"])),
            FunctionDefinition(id: "g", arguments: ["x"], body: .call("f", ["x"])),
        ]
        assertError(m, .ruleCycle, element: "f", containing: "cycle")
    }

    func testNegativeInitialConcentrationAndSize() {
        var m = base
        m.species[0].initial = .concentration(-1)
        assertError(m, .invalidValue, element: "A", containing: "not negative")
        m = base
        m.compartments[0].size = -2
        assertError(m, .invalidValue, element: "c", containing: "not negative")
    }

    func testRateRuleOnReactingSpecies() {
        var m = base
        m.rules = [.rate(variable: "A", math: 1)]
        assertError(m, .multipleDefinitions, element: "A", containing: "rate rule and takes part in reactions")
    }

    func testInitialAssignmentCycle() {
        var m = base
        m.initialAssignments = [InitialAssignment(variable: "A", math: "B"), InitialAssignment(variable: "B", math: "A")]
        assertError(m, .ruleCycle, element: "A", containing: "cycle")
    }

    func testOperatorArity() {
        var m = base
        m.reactions[0].rate = .apply(.div, ["k"])
        assertError(m, .badArity, element: "R1", containing: "'div' given 1 argument")
    }

    func testSeveralErrorsReportedInOnePass() {
        var m = base
        m.reactions[0].rate = "nope" * "A"
        m.species[1].compartment = "nowhere"
        XCTAssertGreaterThanOrEqual(errors(m).count, 2)
    }
}
