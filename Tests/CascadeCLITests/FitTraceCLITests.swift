import Foundation
import XCTest

/// `cascade fit --trace`: one row per optimiser iteration of every start, matching starts.tsv.
final class FitTraceCLITests: XCTestCase {
    func testTraceHasEveryIterationOfEveryStart() throws {
        guard let shared = CLI.shared else { throw XCTSkip("../shared is not present") }
        let problem = shared.appendingPathComponent("petab-benchmarks/Perelson_Science1996/Perelson_Science1996.yaml").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-trace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("trace.tsv").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let r = try CLI.run([
            "fit", problem, "--starts", "4", "--seed", "1", "--threads", "2", "--no-report", "--output", dir.appendingPathComponent("fit").path,
            "--trace", trace,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false)
        }
        XCTAssertEqual(lines.first?.first, "start")
        var perStart: [String: Int] = [:]
        for l in lines.dropFirst() { perStart[String(l[0]), default: 0] += 1 }
        let starts = try String(contentsOf: dir.appendingPathComponent("fit/starts.tsv"), encoding: .utf8).split(separator: "\n")
        let header = starts[0].split(separator: "\t").map(String.init)
        let startColumn = try XCTUnwrap(header.firstIndex(of: "start")), iterColumn = try XCTUnwrap(header.firstIndex(of: "iterations"))
        let rows = starts.dropFirst().filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.count, 4)
        for row in rows { XCTAssertEqual(perStart[row[startColumn]] ?? 0, Int(row[iterColumn]), "start \(row[startColumn])") }

        let bad = try CLI.run(["fit", problem, "--starts", "1", "--output", dir.appendingPathComponent("fit2").path, "--hybrid-rule", "sometimes"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--hybrid-rule expects 'iteration' or 'stall'"), bad.stderr)
    }
}
