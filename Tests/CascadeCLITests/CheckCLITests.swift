import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// `cascade check` against the committed references (generated independently by libRoadRunner).
final class CheckCLITests: XCTestCase {
    var repo: URL { CLI.repository }

    override func setUpWithError() throws {
        try CLI.requireBinary()
    }

    func testReferencesMatch() throws {
        let r = try CLI.run(["check", repo.appendingPathComponent("models/references").path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("references match"), r.stdout)
        XCTAssertTrue(r.stdout.contains("libroadrunner"), "the references come from an independent simulator")
    }

    /// Moving one rate constant by 1% must be caught, and the readouts that moved named.
    func testOnePercentPerturbationFailsAndNamesTheMovedReadouts() throws {
        let model = try Antimony.parse(contentsOf: repo.appendingPathComponent("models/ketamine.ant"))
        let id = "kon_BDNF_TrkB"
        let value = try XCTUnwrap(model.parameter(id)?.value, "the model has no \(id)")
        let r = try CLI.run(["check", repo.appendingPathComponent("models/references").path, "--set", "\(id)=\(value * 1.01)"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("MISMATCH"), r.stdout)
        XCTAssertTrue(r.stdout.contains("p_TrkB"), "BDNF-TrkB binding moves p_TrkB: \(r.stdout)")
        XCTAssertTrue(r.stderr.contains("do not match"), r.stderr)
    }

    func testUpdateRewritesAndReportsWhatMoved() throws {
        // Work on a copy so the committed references stay as they are.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("refs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let src = repo.appendingPathComponent("models/references")
        // The copy's experiment paths are relative: give it the same neighbours.
        let refs = tmp.appendingPathComponent("models/references")
        try FileManager.default.createDirectory(at: refs.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: src, to: refs)
        for name in ["experiments", "ketamine.ant", "inhibitors.yaml"] {
            try FileManager.default.createSymbolicLink(
                at: tmp.appendingPathComponent("models/\(name)"),
                withDestinationURL: repo.appendingPathComponent("models/\(name)"))
        }
        let model = try Antimony.parse(contentsOf: repo.appendingPathComponent("models/ketamine.ant"))
        let value = try XCTUnwrap(model.parameter("kon_BDNF_TrkB")?.value)
        let r = try CLI.run(["check", refs.path, "--update", "--set", "kon_BDNF_TrkB=\(value * 1.01)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("moved: p_TrkB") || r.stdout.contains("p_TrkB"), r.stdout)
        let after = try CLI.run(["check", refs.path, "--set", "kon_BDNF_TrkB=\(value * 1.01)"])
        XCTAssertEqual(after.status, 0, after.stdout)
    }
}
