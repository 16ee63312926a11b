import CascadeCore
import CascadeFormats
import XCTest

/// MathML → Expr, including the corner cases of SBML's MathML subset.
final class SBMLMathMLTests: XCTestCase {
    typealias S = SBMLTestSupport

    func expr(_ content: String, file: StaticString = #filePath, line: UInt = #line) -> Expr? {
        do { return try S.expression(content) } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testNumbers() {
        XCTAssertEqual(expr("<cn> 2.5 </cn>"), .number(2.5))
        XCTAssertEqual(expr("<cn type=\"real\">-1e-3</cn>"), .number(-0.001))
        XCTAssertEqual(expr("<cn type=\"integer\"> 42 </cn>"), .number(42))
        XCTAssertEqual(expr("<cn type=\"integer\" base=\"16\">ff</cn>"), .number(255))
        // e-notation: mantissa <sep/> exponent, with whitespace anywhere.
        XCTAssertEqual(expr("<cn type=\"e-notation\">1<sep/>3</cn>"), .number(1000))
        XCTAssertEqual(expr("<cn type=\"e-notation\">\n  2.5 <sep/> -7\n</cn>"), .number(2.5e-7))
        // The value is the correctly rounded decimal, not 1.1 * pow(10, -5) computed in floating point.
        XCTAssertEqual(expr("<cn type=\"e-notation\">1.1<sep/>-5</cn>"), .number(1.1e-5))
        // rational: numerator <sep/> denominator.
        XCTAssertEqual(expr("<cn type=\"rational\"> 1 <sep/> 3 </cn>"), .number(1.0 / 3.0))
        XCTAssertEqual(expr("<cn type=\"rational\">-3<sep/>4</cn>"), .number(-0.75))
        XCTAssertEqual(expr("<cn>INF</cn>"), .number(.infinity))
        XCTAssertEqual(expr("<cn>-INF</cn>"), .number(-.infinity))
    }

    func testConstants() {
        XCTAssertEqual(expr("<true/>"), .number(1))
        XCTAssertEqual(expr("<false/>"), .number(0))
        XCTAssertEqual(expr("<pi/>"), .number(.pi))
        XCTAssertEqual(expr("<exponentiale/>"), .number(M_E))
        XCTAssertEqual(expr("<infinity/>"), .number(.infinity))
        // -∞ is written minus(infinity) and read as the number.
        XCTAssertEqual(expr("<apply><minus/><infinity/></apply>"), .number(-.infinity))
        XCTAssertEqual(expr("<notanumber/>")?.numericValue?.isNaN, true)
    }

    func testSymbolsAndCsymbols() {
        XCTAssertEqual(expr("<ci>\n  S1 \n</ci>"), .symbol("S1"))
        XCTAssertEqual(expr("<csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\"> t </csymbol>"), .time)
        XCTAssertEqual(
            expr("<csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/avogadro\"> NA </csymbol>"),
            .number(6.02214179e23))
        XCTAssertEqual(
            expr(
                """
                <apply><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/rateOf">rateOf</csymbol><ci>S</ci></apply>
                """), .apply(.rateOf, ["S"]))
    }

    func testArithmetic() {
        XCTAssertEqual(expr("<apply><plus/><ci>a</ci><ci>b</ci><ci>c</ci></apply>"), .apply(.add, ["a", "b", "c"]))
        XCTAssertEqual(expr("<apply><plus/></apply>"), .number(0))
        XCTAssertEqual(expr("<apply><times/></apply>"), .number(1))
        XCTAssertEqual(expr("<apply><plus/><ci>a</ci></apply>"), .apply(.add, ["a"]))
        XCTAssertEqual(expr("<apply><minus/><ci>a</ci></apply>"), .apply(.neg, ["a"]))
        XCTAssertEqual(expr("<apply><minus/><ci>a</ci><ci>b</ci></apply>"), .apply(.sub, ["a", "b"]))
        XCTAssertEqual(expr("<apply><divide/><ci>a</ci><ci>b</ci></apply>"), .apply(.div, ["a", "b"]))
        XCTAssertEqual(expr("<apply><power/><ci>a</ci><cn>2</cn></apply>"), .apply(.pow, ["a", 2]))
        XCTAssertEqual(expr("<apply><rem/><ci>a</ci><ci>b</ci></apply>"), .apply(.rem, ["a", "b"]))
        XCTAssertEqual(expr("<apply><quotient/><ci>a</ci><ci>b</ci></apply>"), .apply(.quotient, ["a", "b"]))
        XCTAssertEqual(expr("<apply><max/><ci>a</ci><ci>b</ci><cn>0</cn></apply>"), .apply(.max, ["a", "b", 0]))
        XCTAssertEqual(expr("<apply><min/><ci>a</ci></apply>"), .apply(.min, ["a"]))
        XCTAssertEqual(expr("<apply><factorial/><cn>5</cn></apply>"), .apply(.factorial, [5]))
        XCTAssertEqual(expr("<apply><ceiling/><ci>a</ci></apply>"), .apply(.ceil, ["a"]))
        XCTAssertEqual(expr("<apply><floor/><ci>a</ci></apply>"), .apply(.floor, ["a"]))
        XCTAssertEqual(expr("<apply><abs/><ci>a</ci></apply>"), .apply(.abs, ["a"]))
        XCTAssertEqual(expr("<apply><exp/><ci>a</ci></apply>"), .apply(.exp, ["a"]))
        XCTAssertEqual(expr("<apply><ln/><ci>a</ci></apply>"), .apply(.ln, ["a"]))
    }

    func testLogDefaultsToBase10AndRootToSquareRoot() {
        // MathML's log without logbase is the base-10 logarithm, not the natural one.
        XCTAssertEqual(expr("<apply><log/><ci>x</ci></apply>"), .apply(.log10, ["x"]))
        XCTAssertEqual(expr("<apply><log/><logbase><cn>2</cn></logbase><ci>x</ci></apply>"), .apply(.log, [2, "x"]))
        XCTAssertEqual(expr("<apply><root/><ci>x</ci></apply>"), .apply(.root, ["x"]))
        XCTAssertEqual(
            expr("<apply><root/><degree><cn type=\"integer\">3</cn></degree><ci>x</ci></apply>"),
            .apply(.root, [3, "x"]))
    }

    func testRelationsAndLogic() {
        // n-ary relations: a < b < c.
        XCTAssertEqual(expr("<apply><lt/><ci>a</ci><ci>b</ci><ci>c</ci></apply>"), .apply(.lt, ["a", "b", "c"]))
        XCTAssertEqual(expr("<apply><leq/><ci>a</ci><ci>b</ci></apply>"), .apply(.le, ["a", "b"]))
        XCTAssertEqual(expr("<apply><geq/><ci>a</ci><ci>b</ci><ci>c</ci></apply>"), .apply(.ge, ["a", "b", "c"]))
        XCTAssertEqual(expr("<apply><gt/><ci>a</ci><ci>b</ci></apply>"), .apply(.gt, ["a", "b"]))
        XCTAssertEqual(expr("<apply><eq/><ci>a</ci><ci>b</ci></apply>"), .apply(.eq, ["a", "b"]))
        XCTAssertEqual(expr("<apply><neq/><ci>a</ci><ci>b</ci></apply>"), .apply(.neq, ["a", "b"]))
        XCTAssertEqual(expr("<apply><and/><true/><ci>b</ci></apply>"), .apply(.and, [1, "b"]))
        XCTAssertEqual(expr("<apply><or/><ci>a</ci><ci>b</ci></apply>"), .apply(.or, ["a", "b"]))
        XCTAssertEqual(expr("<apply><xor/><ci>a</ci><ci>b</ci><ci>c</ci></apply>"), .apply(.xor, ["a", "b", "c"]))
        XCTAssertEqual(expr("<apply><not/><ci>a</ci></apply>"), .apply(.not, ["a"]))
        // implies(a, b) = or(not a, b).
        XCTAssertEqual(expr("<apply><implies/><ci>a</ci><ci>b</ci></apply>"), .apply(.or, [.apply(.not, ["a"]), "b"]))
    }

    func testEveryTrigonometricAndHyperbolicFunction() {
        let names: [(String, Op)] = [
            ("sin", .sin), ("cos", .cos), ("tan", .tan), ("sec", .sec), ("csc", .csc), ("cot", .cot),
            ("arcsin", .asin), ("arccos", .acos), ("arctan", .atan), ("arcsec", .asec), ("arccsc", .acsc),
            ("arccot", .acot), ("sinh", .sinh), ("cosh", .cosh), ("tanh", .tanh), ("sech", .sech),
            ("csch", .csch), ("coth", .coth), ("arcsinh", .asinh), ("arccosh", .acosh), ("arctanh", .atanh),
            ("arcsech", .asech), ("arccsch", .acsch), ("arccoth", .acoth),
        ]
        for (name, op) in names {
            XCTAssertEqual(expr("<apply><\(name)/><ci>x</ci></apply>"), .apply(op, ["x"]), name)
        }
    }

    func testPiecewise() {
        XCTAssertEqual(
            expr(
                """
                <piecewise>
                  <piece><cn>1</cn><apply><lt/><ci>t</ci><cn>5</cn></apply></piece>
                  <piece><cn>2</cn><apply><lt/><ci>t</ci><cn>10</cn></apply></piece>
                  <otherwise><cn>3</cn></otherwise>
                </piecewise>
                """),
            .piecewise(
                [Expr.Piece(1, when: .apply(.lt, ["t", 5])), Expr.Piece(2, when: .apply(.lt, ["t", 10]))],
                otherwise: 3))
        // Without otherwise.
        XCTAssertEqual(
            expr("<piecewise><piece><ci>a</ci><true/></piece></piecewise>"),
            .piecewise([Expr.Piece("a", when: 1)], otherwise: nil))
        XCTAssertEqual(
            expr("<piecewise><otherwise><ci>a</ci></otherwise></piecewise>"),
            .piecewise([], otherwise: "a"))
    }

    func testSemanticsWrapperAndNestedApplyAreRead() {
        XCTAssertEqual(
            expr(
                """
                <semantics><apply><plus/><ci>a</ci><cn>1</cn></apply><annotation encoding="text">a+1</annotation></semantics>
                """), .apply(.add, ["a", 1]))
        // <apply><apply>...</apply></apply>, as in Beer_MolBioSystems2014: libSBML reads the inner expression.
        XCTAssertEqual(expr("<apply><apply><times/><ci>a</ci><ci>b</ci></apply></apply>"), .apply(.mul, ["a", "b"]))
    }

    func testUnsupportedAndInvalidMath() {
        func failure(_ content: String, line: UInt = #line) -> SBMLError? {
            S.sbmlError({ _ = try S.expression(content) }, line: line)
        }
        XCTAssertEqual(
            try S.expression(
                """
                <apply><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/delay">delay</csymbol><ci>x</ci><cn>1</cn></apply>
                """), .apply(.delay, ["x", 1]))
        let delay = failure(
            """
            <apply><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/delay">delay</csymbol><ci>x</ci></apply>
            """)
        XCTAssertEqual(delay?.kind, .invalid)
        XCTAssertEqual(delay?.message, "delay takes 2 arguments, given 1")
        XCTAssertEqual(delay?.elementId, "x", "the rule's variable names the element")

        let unknown = failure("<apply><diff/><ci>x</ci></apply>")
        XCTAssertEqual(unknown?.kind, .unsupportedConstruct)
        XCTAssertTrue(unknown?.message.contains("<diff>") ?? false, unknown?.message ?? "")

        let element = failure("<matrix/>")
        XCTAssertEqual(element?.kind, .unsupportedConstruct)
        XCTAssertTrue(element?.message.contains("<matrix>") ?? false)

        XCTAssertEqual(failure("<apply><divide/><ci>x</ci></apply>")?.kind, .invalid)
        XCTAssertEqual(failure("<apply><minus/></apply>")?.kind, .invalid)
        XCTAssertEqual(failure("<apply><implies/><ci>x</ci></apply>")?.kind, .invalid)
        XCTAssertEqual(failure("<apply><log/><ci>x</ci><ci>y</ci></apply>")?.kind, .invalid)
        XCTAssertEqual(failure("<cn>1e</cn>")?.kind, .invalid)
        XCTAssertEqual(failure("<cn>0x10</cn>")?.kind, .invalid)
        XCTAssertEqual(failure("<cn type=\"integer\">1.5</cn>")?.kind, .invalid)
        XCTAssertEqual(failure("<cn type=\"complex-cartesian\">1<sep/>2</cn>")?.kind, .unsupportedConstruct)
        XCTAssertEqual(failure("<ci> </ci>")?.kind, .invalid)
        XCTAssertEqual(failure("<piecewise><piece><cn>1</cn></piece></piecewise>")?.kind, .invalid)
        XCTAssertEqual(failure("<plus/>")?.kind, .invalid)
        XCTAssertEqual(failure("<lambda><bvar><ci>x</ci></bvar><ci>x</ci></lambda>")?.kind, .invalid)
    }

    /// Text or CDATA where MathML holds only elements used to be dropped without a word:
    /// `<apply><times/>k1<ci>A</ci></apply>` read as `A`.
    func testTextOutsideNumbersAndNamesIsAnError() {
        func failure(_ content: String, line: UInt = #line) -> SBMLError? {
            S.sbmlError({ _ = try S.expression(content) }, line: line)
        }
        let text = failure("<apply><times/>k1<ci>A</ci></apply>")
        XCTAssertEqual(text?.kind, .invalid)
        XCTAssertTrue(text?.message.contains("'k1' inside <apply>") ?? false, text?.message ?? "")
        let cdata = failure("<apply><times/><![CDATA[k1]]><ci>A</ci></apply>")
        XCTAssertTrue(cdata?.message.contains("'k1' inside <apply>") ?? false, cdata?.message ?? "")
        XCTAssertTrue(failure("<apply><times>k1</times><ci>A</ci><ci>B</ci></apply>")?.message.contains("<times>") ?? false)
        XCTAssertTrue(failure("<piecewise><piece>x<cn>1</cn><true/></piece></piecewise>")?.message.contains("<piece>") ?? false)
        XCTAssertTrue(failure("<piecewise>x<otherwise><cn>1</cn></otherwise></piecewise>")?.message.contains("<piecewise>") ?? false)
        XCTAssertTrue(failure("<apply><log/><logbase>2<cn>2</cn></logbase><ci>x</ci></apply>")?.message.contains("<logbase>") ?? false)
        // Whitespace and comments between elements stay allowed.
        XCTAssertEqual(expr("<apply>\n  <times/> <!-- k --> <ci> A </ci>\n <ci>B</ci></apply>"), .apply(.mul, ["A", "B"]))
    }
}
