import CascadeCore
import CascadeFormats
import Foundation
import XCTest

private func s(_ id: String) -> Expr { .symbol(id) }
private func n(_ v: Double) -> Expr { .number(v) }
private func ap(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

/// Targeted checks of the parser's behaviour and error messages, written inline.
final class AntimonyParserTests: XCTestCase {
    /// The math of `x := <text>`.
    private func math(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Expr {
        let m = try parseAntimony("a = 1; b = 2; c = 3\nx := \(text)\n", file: file, line: line)
        return try XCTUnwrap(m.rules.first?.math, file: file, line: line)
    }

    func testNumbers() throws {
        XCTAssertEqual(try math("1e-12"), n(1e-12))
        XCTAssertEqual(try math("1.5E+3"), n(1500))
        XCTAssertEqual(try math(".5"), n(0.5))
        XCTAssertEqual(try math("5."), n(5))
        XCTAssertEqual(try math("-7"), n(-7), "a minus before a literal folds into it, as in Antimony")
        XCTAssertEqual(try math("-(7)"), ap(.neg, n(7)))
        XCTAssertEqual(try math("-2^2"), ap(.neg, ap(.pow, n(2), n(2))), "-2^2 is -(2^2)")
        XCTAssertEqual(try math("2^-2"), ap(.pow, n(2), n(-2)))
        XCTAssertEqual(try math("+a"), s("a"))
    }

    func testPrecedence() throws {
        XCTAssertEqual(try math("a + b * c ^ 2"), ap(.add, s("a"), ap(.mul, s("b"), ap(.pow, s("c"), n(2)))))
        XCTAssertEqual(try math("a - b - c"), ap(.sub, ap(.sub, s("a"), s("b")), s("c")))
        XCTAssertEqual(try math("a / b / c"), ap(.div, ap(.div, s("a"), s("b")), s("c")))
        XCTAssertEqual(try math("a * b * c"), ap(.mul, s("a"), s("b"), s("c")))
        XCTAssertEqual(try math("a + b > c"), ap(.gt, ap(.add, s("a"), s("b")), s("c")))
        XCTAssertEqual(try math("a > b && b > c"), ap(.and, ap(.gt, s("a"), s("b")), ap(.gt, s("b"), s("c"))))
        XCTAssertEqual(try math("!a && b"), ap(.and, ap(.not, s("a")), s("b")))
        XCTAssertEqual(
            try math("a || b && c"), ap(.and, ap(.or, s("a"), s("b")), s("c")),
            "&& and || share one level and group left to right, as in SBML infix")
        XCTAssertEqual(try math("a == b"), ap(.eq, s("a"), s("b")))
        XCTAssertEqual(try math("a >= b"), ap(.ge, s("a"), s("b")))
    }

    func testConstantsAndTime() throws {
        XCTAssertEqual(try math("time"), .time)
        XCTAssertEqual(try math("pi"), n(Double.pi))
        XCTAssertEqual(try math("true + false"), ap(.add, n(1), n(0)))
        XCTAssertEqual(try math("inf"), n(.infinity))
        XCTAssertEqual(try math("-infinity"), n(-.infinity))
    }

    func testStatementsEndAtSemicolonsAndLineEnds() throws {
        let m = try parseAntimony("A -> B; k*A; k = 2; A = 1\nB = 3;;\n")
        XCTAssertEqual(m.reactions.first?.rate, ap(.mul, s("k"), s("A")))
        XCTAssertEqual(m.parameter("k")?.value, 2)
        XCTAssertEqual(m.species("B")?.initial, .concentration(3))
    }

    func testOrderDoesNotMatter() throws {
        let before = try parseAntimony("model m\n  k = 1; A = 2\n  species A in c\n  compartment c = 3\n  J: A -> ; k*A\nend\n")
        XCTAssertEqual(before.species("A")?.compartment, "c")
        XCTAssertEqual(before.compartment("c")?.size, 3)
        XCTAssertEqual(before.reaction("J")?.reactants, [SpeciesReference("A")])
    }

    func testSpeciesValueIsAConcentrationUnlessSubstanceOnly() throws {
        let m = try parseAntimony("compartment c = 2\nspecies A in c = 4\nsubstanceOnly species B in c = 4\n")
        XCTAssertEqual(m.species("A")?.initial, .concentration(4))
        XCTAssertEqual(m.species("B")?.initial, .amount(4))
        XCTAssertEqual(m.species("B")?.hasOnlySubstanceUnits, true)
    }

    func testNonNumericValueBecomesAnInitialAssignment() throws {
        let m = try parseAntimony("species A = 2*k\nk = 3\nc2 = -k\n")
        XCTAssertNil(m.species("A")?.initial)
        XCTAssertNil(m.parameter("c2")?.value)
        XCTAssertEqual(
            m.initialAssignments,
            [
                InitialAssignment(variable: "A", math: ap(.mul, n(2), s("k"))),
                InitialAssignment(variable: "c2", math: ap(.neg, s("k"))),
            ])
    }

    func testSpeciesWithoutValueStartsAtZero() throws {
        let m = try parseAntimony("A -> B; k*A\nk = 1\n")
        XCTAssertEqual(m.species.map(\.initial), [.concentration(0), .concentration(0)])
    }

    func testDefaultCompartment() throws {
        let m = try parseAntimony("A -> ; k*A\nk = 1\n")
        XCTAssertEqual(m.compartments, [Compartment(id: "default_compartment", size: 1, constant: true)])
        XCTAssertEqual(m.species("A")?.compartment, "default_compartment")
        let noSpecies = try parseAntimony("k = 1\n")
        XCTAssertEqual(noSpecies.compartments, [], "no default compartment without species")
    }

    func testUnnamedReactionIdsSkipTakenNames() throws {
        let m = try parseAntimony("_J0: A -> ; k\n-> A; k\n-> B; k\nk = 1\n")
        XCTAssertEqual(m.reactions.map(\.id), ["_J0", "_J1", "_J2"])
    }

    func testUnusedAndUndefinedNames() {
        let errors = antimonyErrors("J1: A -> B; k1*A + k2\nk1 = 1\nx := k3\n")
        XCTAssertEqual(errors.map(\.message), ["'k2' is used but never given a value", "'k3' is used but never given a value"])
        XCTAssertEqual(errors.map(\.location.line), [1, 3])
        XCTAssertEqual(errors.map(\.location.column), [20, 6])
        XCTAssertEqual(errors.first?.length, 2)
    }

    func testUnsupportedConstructsAreNamed() {
        let cases: [(String, String)] = [
            ("import \"a.ant\"\n", "'import' is not supported yet"),
            ("model m()\n  A: sub()\nend\n", "a submodel ('A: sub()') is not supported yet"),
            ("model m()\n  sub()\nend\n", "a submodel ('sub(...)') is not supported yet"),
            ("A -| J1\n", "an interaction ('-|') is not supported yet"),
            ("A -o J1\n", "an interaction ('-o') is not supported yet"),
            ("A -( J1\n", "an interaction ('-(') is not supported yet"),
            ("--P1--G1--\n", "a DNA strand ('--') is not supported yet"),
            ("A is B\n", "'is' between two names (a synonym) is not supported yet"),
            ("delete A\n", "'delete' is not supported yet"),
            ("A.x = 1\n", "a dotted name ('A.x') is not supported yet"),
            ("x := A.y\n", "a dotted name ('A.y') is not supported yet"),
            ("model m(x)\nend\n", "a model with arguments (a module interface) is not supported yet"),
            ("0 = x\n", "an algebraic rule ('0 = ...') is not supported yet"),
            ("x > 3\n", "a constraint ('x > ...') is not supported yet"),
            ("@(time > 1): x = 1\n", "'@' is not supported yet"),
            ("x := 5 % 2\n", "the '%' operator is not supported yet"),
            ("gene g\n", "a 'gene' declaration is not supported yet"),
            ("A identity \"http://x\"\n", "an annotation ('A identity \"...\"') is not supported yet"),
            ("compartment a = 1, b = 1\na in b\n", "compartments inside compartments ('a in b') are not supported yet"),
        ]
        for (text, message) in cases {
            let errors = antimonyErrors(text)
            XCTAssertTrue(errors.first?.message.hasPrefix(message) ?? false, "\(text): \(errors.first?.message ?? "no error")")
        }
    }

    func testNegativeAndNonFiniteValues() {
        XCTAssertEqual(
            antimonyErrors("species A = -1\n").first?.message,
            "the initial concentration of species 'A' must not be negative (-1)")
        XCTAssertEqual(antimonyErrors("compartment c = -2\n").first?.message, "compartment 'c' has a negative size (-2)")
        XCTAssertEqual(antimonyErrors("k = 1e999\n").first?.message, "number '1e999' is too large")
        XCTAssertEqual(antimonyErrors("k = NaN\n").first?.message, "'NaN' (not a number) is not allowed in a model")
        XCTAssertNoThrow(try Antimony.parse("k = -1\n"), "parameters may be negative")
    }

    func testStructuralErrorsArePlacedAtTheirText() {
        let arity = antimonyErrors("function f(x)\n  x\nend\nmodel m()\n  y := 1 + f(1, 2)\nend\n")
        XCTAssertEqual(arity.first?.message, "function 'f' takes 1 argument, given 2")
        XCTAssertEqual(arity.first.map { [$0.location.line, $0.location.column] }, [5, 12])

        let twice = antimonyErrors("x := 1\ny = 2\nx' = y\n")
        XCTAssertEqual(twice.first?.message, "'x' is set by both an assignment rule and a rate rule")
        XCTAssertEqual(twice.first?.location.line, 3, "the second rule is the one reported")

        let constant = antimonyErrors("const k = 1\nat time > 1: k = 2\n")
        XCTAssertEqual(constant.first.map { [$0.location.line, $0.location.column] }, [2, 14])
    }

    func testSourceErrorDescription() {
        let e = SourceError(
            location: SourceLocation(path: "m.ant", line: 2, column: 14), message: "'k9' is used but never given a value",
            sourceLine: "\tJ1: A -> B;\tk9*A", length: 2)
        XCTAssertEqual(e.description, "m.ant:2:14: error: 'k9' is used but never given a value\n\tJ1: A -> B;\tk9*A\n\t           \t^~")
        let errors = antimonyErrors("model m()\n  J1: A -> B; kk*A\nend\n")
        XCTAssertEqual(
            errors.first?.description,
            "<input>:2:15: error: 'kk' is used but never given a value\n  J1: A -> B; kk*A\n              ^~")
        XCTAssertEqual(SourceErrors(errors: errors).description, errors[0].description)
    }

    func testPathAppearsInErrors() {
        do {
            _ = try Antimony.parse("x := y\n", path: "models/a.ant")
            XCTFail("parsed")
        } catch let errors as SourceErrors {
            XCTAssertEqual(errors.errors.first?.location.path, "models/a.ant")
            XCTAssertTrue(errors.description.hasPrefix("models/a.ant:1:6: error:"))
        } catch {
            XCTFail("\(error)")
        }
    }

    func testColumnsCountCharacters() {
        let errors = antimonyErrors("A is \"Ünïcödé\"; x := é\n")
        XCTAssertEqual(errors.first.map { [$0.location.line, $0.location.column] }, [1, 22])
    }

    func testPathologicalNestingIsAnErrorNotACrash() {
        let parens = "x := " + String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000) + "\n"
        XCTAssertTrue(antimonyErrors(parens).first?.message.contains("nested too deeply") ?? false)
        let chain = "x := 1" + String(repeating: "-1", count: 50_000) + "\n"
        XCTAssertTrue(antimonyErrors(chain).first?.message.contains("nested too deeply") ?? false)
        let minuses = "a = 1\nx := " + String(repeating: "-", count: 50_000) + "a\n"
        XCTAssertTrue(antimonyErrors(minuses).first?.message.contains("nested too deeply") ?? false)
        let powers = "a = 1\nx := " + String(repeating: "a^", count: 50_000) + "a\n"
        XCTAssertTrue(antimonyErrors(powers).first?.message.contains("nested too deeply") ?? false)
    }

    func testLongFlatSumsAreOneNode() throws {
        let m = try parseAntimony("a = 1\nx := " + Array(repeating: "a", count: 20_000).joined(separator: " + ") + "\n")
        guard case .apply(.add, let args)? = m.rules.first?.math else { return XCTFail("not a sum") }
        XCTAssertEqual(args.count, 20_000)
    }

    func testParseFromFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("antimony-\(UUID().uuidString).ant")
        try "S -> P; k*S\nS = 1; k = 2\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let m = try Antimony.parse(contentsOf: url)
        XCTAssertEqual(m.reactions.count, 1)
        try "x := y\n".write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try Antimony.parse(contentsOf: url)
            XCTFail("parsed")
        } catch let errors as SourceErrors {
            XCTAssertEqual(errors.errors.first?.location.path, url.path)
        }
    }
}

final class AntimonyDelayTests: XCTestCase {
    func testDelayIsParsedAndPrintedBack() throws {
        let text = "model m()\n  x' = 1\n  x = 0\n  y := 2 + delay(x, 0.5)\nend\n"
        let m = try Antimony.parse(text)
        XCTAssertEqual(m.rules.last, .assignment(variable: "y", math: 2 + .apply(.delay, ["x", 0.5])))
        XCTAssertEqual(try Antimony.parse(Antimony.print(m)), m)
    }
}
