import Foundation
import XCTest

/// Every malformed Antimony fixture through the command line: `cascade simulate FILE --end 1`
/// exits with status 1 (never a signal), writes nothing to standard output, and names the first
/// error's place as `FILE:LINE:COLUMN: error:` on standard error, the place listed for the file in
/// `Fixtures/antimony/malformed/EXPECTED.tsv` (the manifest AntimonyMalformedTests uses).
final class MalformedCLITests: XCTestCase {
    private struct Expectation {
        var file: String
        var line: Int
        var column: Int
        var message: String
    }

    private var folder: URL {
        CLI.fixtures.appendingPathComponent("antimony/malformed")
    }

    /// EXPECTED.tsv: file, line, column, part of the message; tab-separated, `#` comments.
    private func manifest() throws -> [Expectation] {
        let text = try String(contentsOf: folder.appendingPathComponent("EXPECTED.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.compactMap { row in
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let line = Int(f[1]), let column = Int(f[2]) else {
                XCTFail("bad manifest row: \(row)")
                return nil
            }
            return Expectation(file: f[0], line: line, column: column, message: f[3])
        }
    }

    func testEveryMalformedFileExitsOneWithItsLocation() throws {
        try CLI.requireBinary()
        let expectations = try manifest()
        XCTAssertGreaterThanOrEqual(expectations.count, 40)
        let listed = Set(expectations.map(\.file))
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".ant") })
        XCTAssertEqual(listed, present, "EXPECTED.tsv and the folder disagree")
        for e in expectations {
            let path = folder.appendingPathComponent(e.file).path
            let r = try CLI.run(["simulate", path, "--end", "1"])
            XCTAssertTrue(r.exited, "\(e.file): killed by signal \(r.status)\n\(r.stderr)")
            XCTAssertEqual(r.status, 1, "\(e.file): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(e.file): wrote to standard output")
            XCTAssertTrue(
                r.stderr.contains("\(path):\(e.line):\(e.column): error: "),
                "\(e.file): expected \(e.line):\(e.column) in:\n\(r.stderr)")
            XCTAssertTrue(r.stderr.contains(e.message), "\(e.file): expected '\(e.message)' in:\n\(r.stderr)")
        }
    }
}
