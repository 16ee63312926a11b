import CascadeFormats
import Foundation
import XCTest

/// The SBML Test Suite's settings and results files.
final class SBMLTestSuiteSettingsTests: XCTestCase {
    typealias S = SBMLTestSupport

    func testCase00001() throws {
        let folder = try S.sharedFolder("sbml-test-suite").appendingPathComponent("cases/00001")
        let settings = try SBMLTestCaseSettings.read(contentsOf: folder.appendingPathComponent("00001-settings.txt"))
        // Values as written in 00001-settings.txt.
        XCTAssertEqual(
            settings,
            SBMLTestCaseSettings(
                start: 0, duration: 5, steps: 50, variables: ["S1", "S2"],
                absolute: 1e-7, relative: 1e-4, amount: ["S1", "S2"],
                concentration: []))
        XCTAssertEqual(settings.times.count, 51)
        XCTAssertEqual(settings.times.last, 5)

        let results = try SBMLTestCaseResults.read(contentsOf: folder.appendingPathComponent("00001-results.csv"))
        XCTAssertEqual(results.header, ["time", "S1", "S2"])
        XCTAssertEqual(results.variables, ["S1", "S2"])
        XCTAssertEqual(results.rows.count, 51)
        XCTAssertEqual(results.times, settings.times.map { ($0 * 10).rounded() / 10 })
        // First two rows of 00001-results.csv.
        XCTAssertEqual(results.rows[0], [0, 0.00015, 0])
        XCTAssertEqual(results.rows[1], [0.1, 0.0001357256127053939, 1.427438729460607e-005])
        XCTAssertEqual(results.values(of: "S2")?.first, 0)

        // The expected results match themselves and the CSV writer reads back the same.
        XCTAssertEqual(results.mismatches(against: results, settings: settings), [])
        XCTAssertEqual(try SBMLTestCaseResults(csv: results.csv()), results)
    }

    func testSpacesInHeaderAndSpecialValues() throws {
        // As in 00950-results.csv.
        let results = try SBMLTestCaseResults(csv: "time, P, Q, R\n0,INF,-INF, NaN\n0.1,INF,-INF, NaN\n")
        XCTAssertEqual(results.header, ["time", "P", "Q", "R"])
        XCTAssertEqual(results.values(of: "Q"), [-.infinity, -.infinity])
        XCTAssertTrue(results.values(of: "R")?.allSatisfy(\.isNaN) ?? false)
        let settings = SBMLTestCaseSettings(duration: 1, steps: 1, variables: ["P", "Q", "R"], absolute: 1e-4, relative: 1e-4)
        XCTAssertEqual(results.mismatches(against: results, settings: settings), [], "NaN matches NaN, INF matches INF")
    }

    func testFluxBalanceSettingsWithEmptyTimes() throws {
        // As in 01186-settings.txt.
        let settings = try SBMLTestCaseSettings(
            parsing: """
                start:
                duration:
                steps:
                variables: R01,R26,OBJF
                absolute: 0.001
                relative: 0.001
                amount:\u{20}
                concentration:\u{20}
                """)
        XCTAssertEqual(settings.variables, ["R01", "R26", "OBJF"])
        XCTAssertEqual(settings.steps, 0)
        XCTAssertEqual(settings.amount, [])
        let results = try SBMLTestCaseResults(csv: "R01,R26,OBJF\n1.0,1.0,1.0\n")
        XCTAssertFalse(results.hasTimeColumn)
        XCTAssertEqual(results.times, [])
    }

    func testMismatchesUseTheSuiteTolerance() throws {
        let expected = try SBMLTestCaseResults(csv: "time,A\n0,1\n1,100\n")
        let settings = SBMLTestCaseSettings(duration: 1, steps: 1, variables: ["A"], absolute: 0.01, relative: 0.01)
        // |s - e| <= 0.01 + 0.01 * |e|: 1.015 is within (tolerance 0.02); 102 is beyond (tolerance 1.01).
        let simulated = try SBMLTestCaseResults(csv: "time,A\n0,1.015\n1,102\n")
        XCTAssertEqual(
            simulated.mismatches(against: expected, settings: settings),
            [.init(row: 1, column: "A", expected: 100, simulated: 102)])
        let missing = try SBMLTestCaseResults(csv: "time,B\n0,1\n1,100\n")
        XCTAssertEqual(missing.mismatches(against: expected, settings: settings).count, 2)
    }

    func testMalformedFiles() {
        XCTAssertThrowsError(try SBMLTestCaseSettings(parsing: "duration: 5\nsteps: 10\n")) {
            XCTAssertTrue("\($0)".contains("variables"), "\($0)")
        }
        XCTAssertThrowsError(try SBMLTestCaseSettings(parsing: "duration: five\nsteps: 1\nvariables: A\nabsolute: 1\nrelative: 1"))
        XCTAssertThrowsError(try SBMLTestCaseResults(csv: "time,A\n0,1,2\n")) {
            XCTAssertEqual(($0 as? SBMLTestSuiteFileError)?.line, 2)
        }
        XCTAssertThrowsError(try SBMLTestCaseResults(csv: "time,A\n0,x\n"))
        XCTAssertThrowsError(try SBMLTestCaseResults(csv: ""))
    }
}
