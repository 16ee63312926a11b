import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// SBML.write → SBML.read gives the same Model: hand-built models and every readable case of the
/// SBML Test Suite.
final class SBMLRoundTripTests: XCTestCase {
    typealias S = SBMLTestSupport

    func roundTrip(_ model: Model, file: StaticString = #filePath, line: UInt = #line) throws -> Model {
        let xml = SBML.write(model)
        do {
            return try SBML.read(string: xml, path: "written")
        } catch {
            XCTFail("\(error)\n\(xml)", file: file, line: line)
            throw error
        }
    }

    /// A model using every part of the IR.
    static var everything: Model {
        var m = Model(id: "everything", name: "All <parts> & \"quotes\"")
        m.substanceUnits = "mole"
        m.timeUnits = "second"
        m.volumeUnits = "litre"
        m.extentUnits = "mole"
        m.conversionFactor = "cf"
        m.unitDefinitions = [UnitDefinition(id: "uM", factors: [.init(kind: "mole", scale: -6), .init(kind: "litre", exponent: -1)])]
        m.compartments = [
            Compartment(id: "cell", name: "Cell", size: 1e-12, spatialDimensions: 3, units: "litre"),
            Compartment(id: "mem", size: nil, spatialDimensions: 2.5, constant: false),
            Compartment(id: "nodim", size: 1, spatialDimensions: nil),
        ]
        m.species = [
            Species(id: "A", compartment: "cell", initial: .concentration(0.1), name: "alpha"),
            Species(
                id: "B", compartment: "cell", initial: .amount(6.02214179e23), hasOnlySubstanceUnits: true,
                boundaryCondition: true, constant: false, conversionFactor: "cf", units: "mole"),
            Species(id: "C", compartment: "mem", initial: nil, constant: true),
        ]
        m.parameters = [
            Parameter(id: "cf", value: 1.0 / 3.0),
            Parameter(id: "k", value: 1e-300, name: "tiny", units: "uM"),
            Parameter(id: "big", value: 1.7976931348623157e308),
            Parameter(id: "inf", value: -.infinity),
            Parameter(id: "x", value: nil, constant: false),
            Parameter(id: "y", value: -0.0, constant: false),
        ]
        m.functions = [
            FunctionDefinition(
                id: "hill", arguments: ["s", "K", "n"],
                body: .pow("s", "n") / (.pow("K", "n") + .pow("s", "n")))
        ]
        m.initialAssignments = [InitialAssignment(variable: "x", math: .apply(.log, [2, "k"]))]
        m.rules = [
            .assignment(variable: "y", math: .call("hill", ["A", 0.5, 4])),
            .rate(variable: "mem", math: .apply(.root, [3, .apply(.abs, ["y"])])),
            .algebraic(math: .apply(.sub, ["C", .apply(.log10, ["k"])])),
            .assignment(variable: "sr", math: .piecewise([Expr.Piece(2, when: .apply(.lt, [.time, 1, 2]))], otherwise: nil)),
        ]
        m.reactions = [
            Reaction(
                id: "R1", reactants: [SpeciesReference("A", 2)],
                products: [SpeciesReference("B", 0.5, id: "sr", constant: false)], modifiers: ["C"],
                rate: "k" * "A" * .apply(.rateOf, ["B"]), reversible: true, name: "first",
                localParameters: [Parameter(id: "k", value: 7, name: "local", units: "uM"), Parameter(id: "u", value: nil)],
                fast: true, compartment: "cell"),
            Reaction(
                id: "R2",
                rate: .piecewise(
                    [Expr.Piece(.apply(.exp, ["A"]), when: .apply(.and, [1, .apply(.not, [0])]))],
                    otherwise: .number(-.infinity))),
        ]
        m.events = [
            Event(
                id: "E1", trigger: .apply(.ge, [.time, 10]), assignments: [EventAssignment(variable: "x", math: 1)],
                delay: .apply(.max, ["k", 1]), priority: -1, triggerInitialValue: false, persistent: false,
                useValuesFromTriggerTime: false, name: "pulse"),
            Event(id: "E2", trigger: 1, assignments: []),
            Event(id: "E3", trigger: .apply(.or, [0, .apply(.xor, ["A", "B"])]), assignments: []),
        ]
        m.observables = [Observable(id: "total", math: "A" + "B", name: "A + B"), Observable(id: "ratio", math: "A" / "B")]
        return m
    }

    func testEverythingRoundTrips() throws {
        let m = Self.everything
        XCTAssertEqual(try roundTrip(m), m)
    }

    func testEveryOperatorRoundTrips() throws {
        var m = Model(id: "ops")
        for (i, op) in Op.allCases.enumerated() {
            let args: [Expr]
            switch op.arity {
            case (let lo, nil): args = (0 ..< max(lo, 3)).map { .symbol("a\($0)") }
            case (_, let hi?): args = (0 ..< hi).map { .symbol("a\($0)") }
            }
            m.rules.append(.assignment(variable: "v\(i)", math: .apply(op, args)))
        }
        let back = try roundTrip(m)
        for (a, b) in zip(m.rules, back.rules) {
            switch a.math {
            case .apply(.sqrt, let args): XCTAssertEqual(b.math, .apply(.root, args), "sqrt is written as root")
            default: XCTAssertEqual(a, b)
            }
        }
        // log(x) with one argument is ln x; written as <ln/>.
        XCTAssertEqual(
            try roundTrip(Model(id: "l", name: nil).with(rule: .apply(.log, ["x"]))).rules.first?.math,
            .apply(.ln, ["x"]))
    }

    func testNumbersRoundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [
            0, 1, -1, 0.1, 1.0 / 3.0, 2.5e-7, 1e15, 1e16, 123_456_789_012_345_680, -Double.leastNonzeroMagnitude * 12345,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, .pi, 6.02214179e23, 1e21, 4e-6,
        ]
        for _ in 0 ..< 300 {
            values.append(Double(bitPattern: generator.next()))
        }
        values = values.filter { $0.isFinite }
        var m = Model(id: "numbers")
        for (i, v) in values.enumerated() {
            m.parameters.append(Parameter(id: "p\(i)", value: v))
            m.rules.append(.assignment(variable: "q\(i)", math: .number(v)))
        }
        let back = try roundTrip(m)
        for (a, b) in zip(m.parameters, back.parameters) {
            XCTAssertEqual(a.value?.bitPattern, b.value?.bitPattern, "\(a.value ?? 0)")
        }
        for (a, b) in zip(m.rules, back.rules) {
            XCTAssertEqual(a.math.numericValue?.bitPattern, b.math.numericValue?.bitPattern, "\(a.math)")
        }
    }

    func testWrittenDocumentShape() {
        let xml = SBML.write(Self.everything)
        XCTAssertTrue(
            xml.hasPrefix(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sbml xmlns=\"http://www.sbml.org/sbml/level3/version2/core\" level=\"3\" version=\"2\">"))
        XCTAssertTrue(xml.contains("<cn type=\"e-notation\"> 1 <sep/> -300 </cn>") || xml.contains("value=\"1e-300\""))
        XCTAssertTrue(xml.contains("name=\"All &lt;parts&gt; &amp; &quot;quotes&quot;\""))
        XCTAssertTrue(xml.contains("<true/>"), "the trigger 1 is written as <true/>")
        XCTAssertTrue(xml.contains("<log/>\n"))
        XCTAssertFalse(xml.contains("fast="), "Level 3 Version 2 has no fast attribute")
    }

    func testObservablesBecomeAnnotatedAssignmentRules() throws {
        var m = Model(id: "obs")
        m.parameters = [Parameter(id: "k", value: 1)]
        m.observables = [Observable(id: "o", math: 2 * "k", name: "twice k")]
        let xml = SBML.write(m)
        XCTAssertTrue(xml.contains("<assignmentRule variable=\"o\">"))
        XCTAssertTrue(xml.contains("cascade:observable"))
        XCTAssertEqual(try SBML.read(string: xml), m)
    }

    /// Every L3V2 case of the SBML Test Suite: read, write, read again, compare.
    func testRoundTripOverTheSBMLTestSuite() throws {
        let cases = try S.sharedFolder("sbml-test-suite").appendingPathComponent("cases")
        let names = try FileManager.default.contentsOfDirectory(atPath: cases.path).sorted()
        var total = 0, readable = 0, equal = 0, equalUpToNaN = 0
        var unreadable: [String: Int] = [:]
        for name in names {
            let url = cases.appendingPathComponent(name).appendingPathComponent("\(name)-sbml-l3v2.xml")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            total += 1
            let first: Model
            do {
                first = try SBML.read(contentsOf: url)
            } catch let e as SBMLError {
                // Only package use (fbc) and external model files missing from this copy of the
                // suite may stop a suite model from being read.
                let missingFile = e.message.hasPrefix("cannot read the external model file")
                XCTAssertTrue(e.kind == .unsupportedPackage || missingFile, "\(e)")
                unreadable[e.kind == .unsupportedPackage ? "package" : "external file", default: 0] += 1
                continue
            }
            readable += 1
            let xml = SBML.write(first)
            let second: Model
            do {
                second = try SBML.read(string: xml, path: "\(name) written")
            } catch {
                XCTFail("\(name): the written document does not read back: \(error)")
                continue
            }
            if first == second {
                equal += 1
            } else if S.replacingNaN(first) == S.replacingNaN(second) {
                equalUpToNaN += 1  // NaN never equals itself; the models are otherwise the same
            } else {
                XCTFail("\(name): the model read back differs")
            }
            XCTAssertEqual(SBML.write(second), xml, "\(name): writing is not stable")
        }
        print("SBML suite round trip: \(total) L3V2 cases, \(readable) read, \(equal) equal, \(equalUpToNaN) equal up to NaN, unreadable: \(unreadable)")
        XCTAssertEqual(equal + equalUpToNaN, readable)
        XCTAssertGreaterThan(readable, 1000)
    }
}

extension Model {
    fileprivate func with(rule math: Expr) -> Model {
        var m = self
        m.rules.append(.assignment(variable: "v", math: math))
        return m
    }
}
