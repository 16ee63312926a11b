import Foundation
import XCTest

/// `cascade info` shows unit definitions and each value's unit.
final class InfoUnitsCLITests: XCTestCase {
    static let text = """
        model units_demo()
          unit uM = 1e-6 mole / litre
          unit per_s = 1 / second
          compartment cell = 1 litre
          species A in cell = 10 uM
          const k = 0.1 per_s
          J1: A -> ; k*A
        end
        """

    func testInfoShowsUnits() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: CLI.binary.path), "cascade binary not built at \(CLI.binary.path)")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-units-\(UUID().uuidString).ant")
        try Self.text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["info", url.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("units: 2\n  uM = 1e-06 mole · litre^-1\n  per_s = second^-1\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  cell = 1.0 litre\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  A in cell: concentration 10.0 uM\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  k = 0.1 per_s\n"), r.stdout)
    }
}
