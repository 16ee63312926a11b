import Foundation
import XCTest

/// `cascade profile` takes the optimiser options of `cascade fit`, with the same defaults.
final class ProfileOptionsCLITests: XCTestCase {
    /// On Perelson_Science1996 (profile of c from the nominal values, 4 points a side): the
    /// defaults write the same bytes as fides' rules spelt out; the earlier rules reach the same
    /// optima (llh within 1e-6) by another path, so some llh differ in the last digits (the options
    /// reach the optimiser); a bad rule gets one error naming the option.
    func testProfileTakesTheFitsOptimiserOptions() throws {
        guard let shared = CLI.shared else { throw XCTSkip("../shared is not present") }
        let folder = shared.appendingPathComponent("petab-benchmarks/Perelson_Science1996")
        let problem = folder.appendingPathComponent("Perelson_Science1996.yaml").path
        let parameters = folder.appendingPathComponent("parameters_Perelson_Science1996.tsv").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("profile-options-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func profile(_ name: String, _ flags: [String]) throws -> [[String]] {
            let out = dir.appendingPathComponent(name)
            let r = try CLI.run(
                ["profile", problem, "--parameters", parameters, "--parameter", "c", "--max-points", "4", "--threads", "1", "--output", out.path]
                    + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try String(contentsOf: out.appendingPathComponent("profiles.tsv"), encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        }
        let defaults = try profile("defaults", [])
        let fides = try profile(
            "fides", ["--hybrid", "20", "--hybrid-rule", "stall", "--hybrid-start", "identity", "--function-test", "ratio", "--subspace", "2d"])
        let earlier = try profile(
            "earlier", ["--hybrid-rule", "iteration", "--hybrid-start", "hessian", "--function-test", "interior", "--subspace", "full"])
        XCTAssertEqual(defaults.count, 9)
        XCTAssertEqual(defaults, fides)
        XCTAssertEqual(earlier.count, defaults.count)
        var differ = 0
        for (a, b) in zip(defaults, earlier) {
            XCTAssertEqual(a[1], b[1], "the same points")
            let la = try XCTUnwrap(Double(a[2])), lb = try XCTUnwrap(Double(b[2]))
            XCTAssertEqual(la, lb, accuracy: 1e-6, "c = \(a[1])")
            if la != lb { differ += 1 }
        }
        XCTAssertGreaterThan(differ, 0, "the earlier rules gave the same bytes: the options did not reach the optimiser")

        let bad = try CLI.run([
            "profile", problem, "--parameters", parameters, "--output", dir.appendingPathComponent("bad").path, "--function-test", "sometimes",
        ])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--function-test expects 'interior' or 'ratio', got 'sometimes'"), bad.stderr)
    }
}
