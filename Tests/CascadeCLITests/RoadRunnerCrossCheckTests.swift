import Foundation
import XCTest

/// `cascade simulate` against libRoadRunner, an independent simulator.
///
/// `Fixtures/roadrunner/<name>.csv` holds libRoadRunner's trajectory of
/// `Fixtures/antimony/crosscheck/<name>.ant`, made by `scripts/crosscheck/crosscheck.py` (the
/// antimony package converts the text to SBML; CVODE at rtol 1e-12, atol 1e-14; provenance in
/// `Fixtures/roadrunner/PROVENANCE.md`). Here the CLI simulates the same .ant file on the same
/// grid (the CSV's time column: `--end` its last time, `--steps` its rows − 1) at `--rtol 1e-8
/// --atol 1e-12`, reporting the same columns (`--variables`). Both report species as
/// concentrations: the script selects `[S]`, and `cascade simulate` writes concentrations for
/// species not listed in `--amounts`.
///
/// Agreement: |cascade − roadrunner| ≤ 1e-5·|roadrunner| + 1e-9 for every value. The absolute
/// floor of 1e-9 only matters for values below 1e-4 (exact zeros at the start, a receptor
/// bound down to 1e-4); every model's values are of order 0.01 to 20.
final class RoadRunnerCrossCheckTests: XCTestCase {
    static let relativeTolerance = 1e-5
    static let absoluteFloor = 1e-9

    private var fixtures: URL { CLI.fixtures }

    private struct Table {
        var columns: [String]
        var rows: [[Double]]
    }

    private func table(_ text: String, _ label: String) throws -> Table {
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        guard let header = lines.first else { throw XCTSkip("\(label): empty") }
        let columns = header.split(separator: ",").map(String.init)
        var rows: [[Double]] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let values = fields.compactMap { Double($0) }
            guard values.count == fields.count, values.count == columns.count else {
                XCTFail("\(label): bad row '\(line)'")
                continue
            }
            rows.append(values)
        }
        return Table(columns: columns, rows: rows)
    }

    private func referenceNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("roadrunner").path)
            .filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
    }

    func testEveryCrossCheckModelHasAReference() throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("antimony/crosscheck").path)
            .filter { $0.hasSuffix(".ant") }.map { String($0.dropLast(4)) }.sorted()
        XCTAssertEqual(try referenceNames(), models, "run scripts/crosscheck/crosscheck.py after adding a cross-check model")
        XCTAssertGreaterThanOrEqual(models.count, 6)
        let provenance = try String(contentsOf: fixtures.appendingPathComponent("roadrunner/PROVENANCE.md"), encoding: .utf8)
        for name in models {
            XCTAssertTrue(provenance.contains("| \(name) |"), "\(name) is not in PROVENANCE.md")
        }
    }

    func testCascadeAgreesWithLibRoadRunner() throws {
        try CLI.requireBinary()
        var summary: [String] = []
        for name in try referenceNames() {
            let reference = try table(String(contentsOf: fixtures.appendingPathComponent("roadrunner/\(name).csv"), encoding: .utf8), name)
            let model = fixtures.appendingPathComponent("antimony/crosscheck/\(name).ant").path
            guard let end = reference.rows.last?.first, reference.rows.count >= 2, reference.columns.first == "time" else {
                XCTFail("\(name): reference has no time grid")
                continue
            }
            let ids = Array(reference.columns.dropFirst())
            let r = try CLI.run([
                "simulate", model, "--end", "\(end)", "--steps", "\(reference.rows.count - 1)",
                "--rtol", "1e-8", "--atol", "1e-12", "--variables", ids.joined(separator: ","),
            ])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            guard r.status == 0 else { continue }
            let cascade = try table(r.stdout, "cascade \(name)")
            XCTAssertEqual(cascade.columns, reference.columns, name)
            XCTAssertEqual(cascade.rows.count, reference.rows.count, name)
            var worstRelative = 0.0, worstRelativeAt = "", worstSmall = 0.0
            for (c, ref) in zip(cascade.rows, reference.rows) {
                XCTAssertEqual(c[0], ref[0], accuracy: 1e-12 * max(1, abs(ref[0])), "\(name): time grid")
                for j in 1 ..< min(c.count, ref.count) {
                    let deviation = abs(c[j] - ref[j])
                    let allowed = Self.relativeTolerance * abs(ref[j]) + Self.absoluteFloor
                    XCTAssertLessThanOrEqual(
                        deviation, allowed,
                        "\(name): \(reference.columns[j]) at t = \(ref[0]): cascade \(c[j]), libRoadRunner \(ref[j])")
                    if abs(ref[j]) >= 1e-4 {
                        if deviation / abs(ref[j]) > worstRelative {
                            worstRelative = deviation / abs(ref[j])
                            worstRelativeAt = "\(reference.columns[j]) at t = \(ref[0])"
                        }
                    } else {
                        worstSmall = max(worstSmall, deviation)
                    }
                }
            }
            summary.append(
                "\(name): max relative deviation \(String(format: "%.2e", worstRelative)) (\(worstRelativeAt))"
                    + (worstSmall > 0 ? ", max absolute deviation below 1e-4: \(String(format: "%.1e", worstSmall))" : ""))
        }
        XCTAssertGreaterThanOrEqual(summary.count, 6)
        print("libRoadRunner cross-check (rtol 1e-8, atol 1e-12):\n  " + summary.joined(separator: "\n  "))
    }
}
