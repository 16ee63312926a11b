import Foundation
import XCTest

/// Hostile and careless command lines: outputs that are directories or inputs, two writers, left-
/// over temporary files, sizes that do not fit, options that look like negative numbers, files
/// of the wrong kind. Each gets one clear message and a non-zero exit, and no input changes.
final class RobustnessCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        try CLI.requireBinary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-robust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    var repo: URL { CLI.repository }

    func write(_ text: String, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    let decay = "model m\n  compartment c = 1\n  species A in c = 10\n  J1: A -> ; k*A\n  k = 0.5\nend\n"

    func sweepSpec(count: String) throws -> String {
        try write(
            """
            model: \(repo.appendingPathComponent("models/ketamine.ant").path)
            panel: \(repo.appendingPathComponent("models/inhibitors.yaml").path)
            settle: 1 h
            protocol:
              - {at: 0 min, add: ketamine, concentration: 1 uM}
            readouts: [p_eEF2]
            times: [30 min]
            sweep:
              parameters:
                ketamine: {from: 0.1 uM, to: 1 uM, count: \(count)}
            """, "sweep.yaml")
    }

    /// One message on standard error, exit status 1 (or 2 for usage errors).
    func assertRefused(_ args: [String], status: Int32 = 1, saying part: String, line: UInt = #line) throws {
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, status, "\(args): \(r.stderr)", line: line)
        XCTAssertTrue(r.stderr.contains(part), "\(args): expected '\(part)' in:\n\(r.stderr)", line: line)
        XCTAssertEqual(r.stdout, "", line: line)
    }

    func testADirectoryIsNeverAnOutput() throws {
        let model = try write(decay, "m.ant")
        let spec = try sweepSpec(count: "2")
        let folder = dir.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let kept = folder.appendingPathComponent("keep.txt")
        try Data("keep".utf8).write(to: kept)
        try assertRefused(["sweep", spec, "--output", folder.path, "--quiet"], saying: "is a directory")
        try assertRefused(["sweep", spec, "--output", ".", "--quiet"], saying: "is a directory")
        try assertRefused(["simulate", model, "--end", "1", "--output", folder.path], saying: "is a directory")
        try assertRefused(["export-sbml", model, "--output", folder.path + "/"], saying: "is a directory")
        try assertRefused(
            ["simulate", model, "--end", "1", "--output", dir.appendingPathComponent("no/such/out.csv").path],
            saying: "does not exist")
        XCTAssertEqual(try String(contentsOf: kept, encoding: .utf8), "keep")
    }

    func testAnInputIsNeverAnOutput() throws {
        let model = try write(decay, "m.ant")
        let spec = try sweepSpec(count: "2")
        let link = dir.appendingPathComponent("link.ant")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: model)
        let before = try Data(contentsOf: URL(fileURLWithPath: model)), specBefore = try Data(contentsOf: URL(fileURLWithPath: spec))
        try assertRefused(["simulate", model, "--end", "1", "--output", model], saying: "is also an input")
        try assertRefused(["simulate", model, "--end", "1", "--output", link.path], saying: "is also an input")
        try assertRefused(["export-sbml", model, "--output", dir.path + "/./m.ant"], saying: "is also an input")
        try assertRefused(["sweep", spec, "--output", spec, "--quiet"], saying: "is also an input")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: spec)), specBefore)
    }

    /// Another process holding the output's lock (as a running sweep does) makes a second
    /// writer stop at once, without touching the output.
    func testASecondWriterIsRefused() throws {
        let model = try write(decay, "m.ant")
        let out = dir.appendingPathComponent("out.csv")
        let fd = open(dir.appendingPathComponent(".out.csv.lock").path, O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        try assertRefused(["simulate", model, "--end", "1", "--output", out.path], saying: "another cascade run is writing this output")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        close(fd)
        XCTAssertEqual(try CLI.run(["simulate", model, "--end", "1", "--output", out.path]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
    }

    /// A run killed while writing leaves `.NAME.cascade-tmp.PID`; the next write removes it.
    func testTemporaryFilesOfAKilledWriteAreRemoved() throws {
        let model = try write(decay, "m.ant")
        let stale = dir.appendingPathComponent(".out.csv.cascade-tmp.4242")
        try Data(repeating: 0x41, count: 1 << 20).write(to: stale)
        let r = try CLI.run(["simulate", model, "--end", "1", "--output", dir.appendingPathComponent("out.csv").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(left, [], "nothing hidden is left beside the output")
    }

    func testSizesAreCheckedBeforeAllocating() throws {
        let model = try write(decay, "m.ant")
        try assertRefused(["simulate", model, "--end", "1", "--steps", "100000000000"], saying: "of memory")
        try assertRefused(["simulate", model, "--end", "1", "--steps", "9223372036854775807"], saying: "too large")
        let spec = try sweepSpec(count: "100000000000")
        try assertRefused(
            ["sweep", spec, "--output", dir.appendingPathComponent("o.csv").path, "--quiet"],
            saying: "sweep.yaml:10:")
    }

    func testNegativeNumbersAreValuesNotOptions() throws {
        let model = try write(decay, "m.ant")
        try assertRefused(["simulate", model, "--end", "1", "--atol", "-1"], status: 2, saying: "--atol must be a positive number")
        try assertRefused(["simulate", model, "--end", "-1"], status: 2, saying: "must be after --start")
    }

    func testFilesOfTheWrongKindAreNamed() throws {
        let text = try write(decay, "m.xml")
        try assertRefused(["simulate", text, "--end", "1"], saying: "not an XML document (it starts with 'model m')")
        let folder = dir.appendingPathComponent("model.ant")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try assertRefused(["simulate", folder.path, "--end", "1"], saying: "is a folder, not a file")
        let xmlFolder = dir.appendingPathComponent("model.xml")
        try FileManager.default.createDirectory(at: xmlFolder, withIntermediateDirectories: true)
        try assertRefused(["info", xmlFolder.path], saying: "is a folder, not a file")
    }

    /// Every point failing is a failure of the sweep; some failing is not (they are rows).
    func testSweepWhereEveryPointFailsExitsOne() throws {
        let spec = try write(
            """
            model: \(repo.appendingPathComponent("models/ketamine.ant").path)
            panel: \(repo.appendingPathComponent("models/inhibitors.yaml").path)
            settle: 1 h
            protocol:
              - {at: 0 min, add: ketamine, concentration: 1 uM}
            readouts: [p_eEF2]
            times: [30 min]
            sweep:
              parameters:
                dendrite: [-1, -2]
            """, "fail.yaml")
        let out = dir.appendingPathComponent("fail.csv")
        let r = try CLI.run(["sweep", spec, "--output", out.path, "--quiet"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("every one of the 2 simulations failed"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path), "the failures are still written")
    }
}
