import CascadeCore
import Foundation
import XCTest

@testable import CascadeFormats

/// The PEtab reader: tab-separated tables, formulas, the five tables and the problem YAML, and
/// the errors that name the file, line and column.
final class PEtabReaderTests: XCTestCase {
    // MARK: Tables

    func testTableReadsHeaderRowsAndLines() throws {
        let t = try PEtabTable(parsing: "\u{FEFF}a\tb\tc\r\n1\t 2 \t3\r\n\r\n4\t5\n6\n", file: "t.tsv")
        XCTAssertEqual(t.columns, ["a", "b", "c"])
        XCTAssertEqual(t.rows, [["1", "2", "3"], ["4", "5", ""], ["6", "", ""]])
        XCTAssertEqual(t.lines, [2, 4, 5])
        XCTAssertEqual(t[1, "b"], "5")
        XCTAssertNil(t[0, "zz"])
        XCTAssertEqual(t.text, "a\tb\tc\n1\t2\t3\n4\t5\t\n6\t\t\n")
    }

    func testTableKeepsAnUnnamedIndexColumnAndIgnoresTrailingTabs() throws {
        let t = try PEtabTable(parsing: "\tx\ty\n0\t1\t2\t\n", file: "sim.tsv")
        XCTAssertEqual(t.columns, ["", "x", "y"])
        XCTAssertEqual(t.rows, [["0", "1", "2"]])
    }

    func testTableErrorsNameFileAndLine() {
        XCTAssertThrowsError(try PEtabTable(parsing: "a\tb\n1\t2\t3\n", file: "m.tsv")) { e in
            XCTAssertEqual("\(e)", "m.tsv:2: the row has 3 fields but the header names 2 columns")
        }
        XCTAssertThrowsError(try PEtabTable(parsing: "a\ta\n", file: "m.tsv")) { e in
            XCTAssertEqual("\(e)", "m.tsv:1: the header names column 'a' twice")
        }
        XCTAssertThrowsError(try PEtabTable(parsing: "a\t\tb\n", file: "m.tsv")) { e in
            XCTAssertEqual("\(e)", "m.tsv:1: the header's column 2 has no name")
        }
        XCTAssertThrowsError(try PEtabTable(parsing: "\n\n", file: "m.tsv")) { e in
            XCTAssertEqual("\(e)", "m.tsv: the table is empty (no header line)")
        }
    }

    func testNumbers() {
        XCTAssertEqual(PEtabNumber.parse("inf"), .infinity)
        XCTAssertEqual(PEtabNumber.parse("Inf"), .infinity)
        XCTAssertEqual(PEtabNumber.parse("-inf"), -.infinity)
        XCTAssertTrue(PEtabNumber.parse("NaN")!.isNaN)
        XCTAssertEqual(PEtabNumber.parse("1E-05"), 1e-5)
        XCTAssertEqual(PEtabNumber.parse(" .5 "), 0.5)
        XCTAssertNil(PEtabNumber.parse("k1"))
        XCTAssertNil(PEtabNumber.parse(""))
        XCTAssertEqual(PEtabNumber.format(.infinity), "inf")
        XCTAssertEqual(PEtabNumber.format(0.1), "0.1")
        XCTAssertEqual(PEtabValue.parse("k_1"), .parameter("k_1"))
        XCTAssertEqual(PEtabValue.parse("2.5"), .number(2.5))
        XCTAssertNil(PEtabValue.parse("2x"))
    }

    // MARK: Formulas

    func eval(_ text: String, _ values: [String: Double] = [:]) throws -> Double {
        let e = try PEtabMath.parse(text)
        let names = values.keys.sorted()
        let f = try CompiledFormula(e, slots: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }))
        return f.evaluate(names.map { values[$0]! })
    }

    func testFormulaPrecedence() throws {
        XCTAssertEqual(try eval("1 + 2 * 3"), 7)
        XCTAssertEqual(try eval("-2^2"), -4)
        XCTAssertEqual(try eval("2^-1"), 0.5)
        XCTAssertEqual(try eval("2**3**2"), 512)  // right-associative
        XCTAssertEqual(try eval("(1 + 2) * 3 / 9"), 1)
        XCTAssertEqual(try eval("10 - 4 - 3"), 3)
        XCTAssertEqual(try eval("1e-3 * 2E3"), 2)
        XCTAssertEqual(try eval("a * (b + 1)", ["a": 2, "b": 3]), 8)
    }

    /// `((((...1...))))` 50,000 deep overflowed the stack of the recursive parser (a signal).
    func testFormulaNestingIsBounded() throws {
        XCTAssertEqual(try eval(String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)), 1)
        XCTAssertEqual(try eval(String(repeating: "-", count: 200) + "1"), 1)
        for deep in [
            String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000),
            String(repeating: "-", count: 50_000) + "1", String(repeating: "exp(", count: 50_000) + "0" + String(repeating: ")", count: 50_000),
            String(repeating: "2^", count: 50_000) + "1", String(repeating: "!", count: 50_000) + "1",
        ] {
            XCTAssertThrowsError(try PEtabMath.parse(deep)) { e in
                XCTAssertTrue("\(e)".contains("nests deeper than 256 levels"), "\(e)".prefix(200).description)
            }
        }
    }

    /// Inlining nested functions that each call the previous one twice doubles the program per
    /// level; past a million operations the formula is refused instead of filling memory.
    func testInliningIsBounded() throws {
        var functions = [FunctionDefinition(id: "g0", arguments: ["x"], body: .apply(.mul, [.number(2), .symbol("x")]))]
        for i in 1 ... 40 {
            let inner = Expr.call("g\(i - 1)", [.symbol("x")])
            functions.append(FunctionDefinition(id: "g\(i)", arguments: ["x"], body: .apply(.add, [inner, inner])))
        }
        XCTAssertEqual(try CompiledFormula(.call("g5", [.number(1)]), slots: [:], functions: functions).evaluate([]), 64)
        XCTAssertThrowsError(try CompiledFormula(.call("g40", [.number(1)]), slots: [:], functions: functions)) { e in
            XCTAssertTrue("\(e)".contains("once its functions are inlined"), "\(e)")
        }
    }

    func testFormulaFunctionsAndLogic() throws {
        XCTAssertEqual(try eval("log(8, 2)"), 3, accuracy: 1e-15)
        XCTAssertEqual(try eval("log(exp(2))"), 2, accuracy: 1e-15)
        XCTAssertEqual(try eval("log10(1000) + log2(8) + ln(1)"), 6, accuracy: 1e-15)
        XCTAssertEqual(try eval("sqrt(16) + abs(-1) + pow(2, 3) + max(1, 5, 2) + min(4, 3)"), 21)
        XCTAssertEqual(try eval("piecewise(1, x < 0, 2, x < 5, 3)", ["x": 3]), 2)
        XCTAssertEqual(try eval("piecewise(1, x < 0, 2, x < 5, 3)", ["x": 7]), 3)
        XCTAssertEqual(try eval("x > 1 && x < 3 || !(x == 2)", ["x": 2]), 1)
        XCTAssertEqual(try eval("x >= 3 || false", ["x": 2]), 0)
        XCTAssertEqual(try eval("inf"), .infinity)
    }

    func testFormulaErrorsSayWhere() {
        XCTAssertThrowsError(try PEtabMath.parse("a + (b", file: "obs.tsv", line: 3, column: "observableFormula")) { e in
            XCTAssertEqual("\(e)", "obs.tsv:3: column 'observableFormula': expected ')', found end of formula at character 7 of 'a + (b'")
        }
        XCTAssertThrowsError(try PEtabMath.parse("a $ b")) { e in
            XCTAssertTrue("\(e)".contains("unexpected character '$' at character 3"), "\(e)")
        }
        XCTAssertThrowsError(try PEtabMath.parse("a < b < c")) { e in XCTAssertTrue("\(e)".contains("cannot be chained")) }
        XCTAssertThrowsError(try PEtabMath.parse("log(1, 2, 3)")) { e in XCTAssertTrue("\(e)".contains("log takes 2 arguments")) }
        XCTAssertThrowsError(try PEtabMath.parse("   ")) { e in XCTAssertTrue("\(e)".contains("empty")) }
        XCTAssertThrowsError(try CompiledFormula(.symbol("q"), slots: ["p": 0])) { e in
            XCTAssertEqual("\(e)", "unknown id 'q'")
        }
    }

    func testFormulaInlinesUserFunctions() throws {
        let sq = FunctionDefinition(id: "sq", arguments: ["u"], body: .symbol("u") * .symbol("u"))
        let f = try CompiledFormula(try PEtabMath.parse("sq(x + 1)"), slots: ["x": 0], functions: [sq])
        XCTAssertEqual(f.evaluate([2]), 9)
        XCTAssertThrowsError(try CompiledFormula(try PEtabMath.parse("nope(x)"), slots: ["x": 0])) { e in
            XCTAssertEqual("\(e)", "unknown function 'nope'")
        }
    }

    // MARK: The five tables

    func testConditionTable() throws {
        let t = try PEtabTable(parsing: "conditionId\tconditionName\tk1\tA\nc1\tfirst\t0.5\tNaN\nc2\t\tk_ref\t\n", file: "cond.tsv")
        let c = try PEtabCondition.read(t)
        XCTAssertEqual(c.map(\.id), ["c1", "c2"])
        XCTAssertEqual(c[0].name, "first")
        XCTAssertNil(c[1].name)
        XCTAssertEqual(c[0].values["k1"], .number(0.5))
        XCTAssertEqual(c[1].values["k1"], .parameter("k_ref"))
        XCTAssertTrue(c[1].values["A"].map { if case .number(let v) = $0 { return v.isNaN } else { return false } } ?? false)
        XCTAssertThrowsError(try PEtabCondition.read(try PEtabTable(parsing: "id\tk1\nc1\t1\n", file: "cond.tsv"))) { e in
            XCTAssertTrue("\(e)".hasPrefix("cond.tsv:1: required column 'conditionId' is missing"), "\(e)")
        }
        XCTAssertThrowsError(try PEtabCondition.read(try PEtabTable(parsing: "conditionId\tk1\nc1\t1\nc1\t2\n", file: "cond.tsv"))) { e in
            XCTAssertEqual("\(e)", "cond.tsv:3: column 'conditionId': condition 'c1' is defined twice")
        }
        XCTAssertThrowsError(try PEtabCondition.read(try PEtabTable(parsing: "conditionId\tk1\nc1\t1x\n", file: "cond.tsv"))) { e in
            XCTAssertEqual("\(e)", "cond.tsv:2: column 'k1': '1x' is neither a number nor a parameter id")
        }
    }

    func testObservableTable() throws {
        let t = try PEtabTable(
            parsing: """
                observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution
                pA\tobservableParameter1_pA * A\tnoiseParameter1_pA\tlog10\tnormal
                pB\tB\t\t\t
                """, file: "obs.tsv")
        let o = try PEtabObservable.read(t)
        XCTAssertEqual(o[0].formula, .symbol("observableParameter1_pA") * .symbol("A"))
        XCTAssertEqual(o[0].noiseFormula, .symbol("noiseParameter1_pA"))
        XCTAssertEqual(o[0].transformation, .log10)
        XCTAssertEqual(o[1].transformation, .lin)
        XCTAssertNil(o[1].noiseFormula)
        XCTAssertEqual(o[1].line, 3)
        XCTAssertThrowsError(
            try PEtabObservable.read(try PEtabTable(parsing: "observableId\tobservableFormula\tobservableTransformation\no\tA\tln\n", file: "obs.tsv"))
        ) { e in
            XCTAssertEqual("\(e)", "obs.tsv:2: column 'observableTransformation': 'ln' is not lin, log or log10")
        }
        XCTAssertThrowsError(try PEtabObservable.read(try PEtabTable(parsing: "observableId\tobservableFormula\no\tA +\n", file: "obs.tsv"))) { e in
            XCTAssertTrue("\(e)".hasPrefix("obs.tsv:2: column 'observableFormula': expected a number"), "\(e)")
        }
        XCTAssertThrowsError(try PEtabObservable.read(try PEtabTable(parsing: "observableId\nA\n", file: "obs.tsv"))) { e in
            XCTAssertTrue("\(e)".contains("required column 'observableFormula' is missing"), "\(e)")
        }
    }

    func testParameterTable() throws {
        let t = try PEtabTable(
            parsing: """
                parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
                k1\tlog10\t1e-3\t1e3\t0.1\t1
                scale\tlin\t\t\t2\t0
                """, file: "par.tsv")
        let p = try PEtabParameter.read(t)
        XCTAssertEqual(p[0].scale, .log10)
        XCTAssertEqual(p[0].nominalValue, 0.1)
        XCTAssertEqual(p[0].scaledNominalValue, -1, accuracy: 1e-15)
        XCTAssertTrue(p[0].estimate)
        XCTAssertFalse(p[1].estimate)
        XCTAssertNil(p[1].lowerBound)
        XCTAssertThrowsError(try PEtabParameter.read(try PEtabTable(parsing: "parameterId\tnominalValue\testimate\nk\t1\tyes\n", file: "par.tsv"))) { e in
            XCTAssertEqual("\(e)", "par.tsv:2: column 'estimate': 'yes' is not 0 or 1")
        }
        XCTAssertThrowsError(try PEtabParameter.read(try PEtabTable(parsing: "parameterId\tnominalValue\nk\t\n", file: "par.tsv"))) { e in
            XCTAssertEqual("\(e)", "par.tsv:2: column 'nominalValue': the value is missing")
        }
        XCTAssertThrowsError(try PEtabParameter.read(try PEtabTable(parsing: "parameterId\tparameterScale\tnominalValue\nk\tlog2\t1\n", file: "par.tsv"))) {
            e in
            XCTAssertEqual("\(e)", "par.tsv:2: column 'parameterScale': 'log2' is not lin, log or log10")
        }
    }

    func testMeasurementTable() throws {
        let t = try PEtabTable(
            parsing: """
                observableId\tpreequilibrationConditionId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\tnoiseParameters
                pA\t\tc1\t1.5\t0\tscale;0.2\t0.1
                pA\tc0\tc1\t\tinf\t\tsd
                """, file: "meas.tsv")
        let m = try PEtabMeasurementTable(t)
        XCTAssertEqual(m.count, 2)
        XCTAssertNil(m.measurements[0].preequilibrationConditionId)
        XCTAssertEqual(m.measurements[0].observableParameters, [.parameter("scale"), .number(0.2)])
        XCTAssertEqual(m.measurements[0].noiseParameters, [.number(0.1)])
        XCTAssertEqual(m.measurements[1].preequilibrationConditionId, "c0")
        XCTAssertEqual(m.measurements[1].time, .infinity)
        XCTAssertTrue(m.measurements[1].value.isNaN)
        func fails(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try PEtabMeasurementTable(try PEtabTable(parsing: text, file: "meas.tsv")), file: file, line: line) { e in
                XCTAssertEqual("\(e)", message, file: file, line: line)
            }
        }
        let header = "observableId\tsimulationConditionId\tmeasurement\ttime\n"
        fails(header + "pA\tc1\t1\tten\n", "meas.tsv:2: column 'time': 'ten' is not a time (a number or inf)")
        fails(header + "pA\tc1\t1\t-1\n", "meas.tsv:2: column 'time': the time -1 is negative; PEtab simulations start at 0")
        fails(header + "pA\tc1\tlots\t1\n", "meas.tsv:2: column 'measurement': 'lots' is not a number")
        fails(header + "\tc1\t1\t1\n", "meas.tsv:2: column 'observableId': the observable id is empty")
        fails(
            "observableId\tsimulationConditionId\ttime\npA\tc1\t1\n",
            "meas.tsv:1: required column 'measurement' is missing (columns: observableId, simulationConditionId, time)")
        fails(
            "observableId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\npA\tc1\t1\t1\ta;;b\n",
            "meas.tsv:2: column 'observableParameters': '' is neither a number nor a parameter id")
    }

    func testJoinedMeasurementTablesKeepEveryColumn() throws {
        let a = try PEtabMeasurementTable(
            try PEtabTable(parsing: "observableId\tsimulationConditionId\tmeasurement\ttime\tdatasetId\no\tc\t1\t0\td1\n", file: "a.tsv"))
        let b = try PEtabMeasurementTable(
            try PEtabTable(parsing: "observableId\tsimulationConditionId\tmeasurement\ttime\treplicateId\no\tc\t2\t1\tr1\n", file: "b.tsv"))
        let j = try PEtabMeasurementTable.concatenating([a, b])
        XCTAssertEqual(j.table.columns, ["observableId", "simulationConditionId", "measurement", "time", "datasetId", "replicateId"])
        XCTAssertEqual(j.table.rows, [["o", "c", "1", "0", "d1", ""], ["o", "c", "2", "1", "", "r1"]])
        XCTAssertEqual(j.measurements.map(\.value), [1, 2])
    }
}
