import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Runs the built `cascade` binary, found beside the test bundle (`swift build --build-tests`
/// and `swift test` build it there, since this target depends on the executable). A missing
/// binary fails every test that needs it: `requireBinary()` throws.
enum CLI {
    static var binary: URL {
        // On Linux the test bundle's URL is its folder (.build/<triple>/debug); on macOS it is
        // the .xctest bundle inside that folder.
        var dir = Bundle(for: Marker.self).bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("cascade")
    }

    final class Marker {}

    struct MissingBinary: Error, CustomStringConvertible {
        var description: String {
            "the cascade binary is not built at \(CLI.binary.path); build it with `swift build --product cascade` (make test does)"
        }
    }

    /// Throws (failing the test) when the binary is missing.
    static func requireBinary() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw MissingBinary() }
    }

    /// The repository (the folder holding Package.swift).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The test fixtures shared with CascadeFormatsTests (malformed and cross-check models, fuzz inputs).
    static var fixtures: URL { repository.appendingPathComponent("Tests/CascadeFormatsTests/Fixtures") }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// False when the process was killed by a signal (`status` is then the signal).
        var exited = true
    }

    /// Runs the binary with `args`, in `directory` (default: the test's), with `environment` added
    /// to the test's own.
    static func run(
        _ args: [String], in directory: URL? = nil, environment: [String: String] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self),
            exited: p.terminationReason == .exit)
    }

    /// ../shared beside the repository, or nil.
    static var shared: URL? {
        let s = repository.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: s.path) ? s : nil
    }
}

/// A test of the command line: fails when the binary is missing; `dir` is a fresh temporary
/// folder, removed afterwards.
class CLITestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        try CLI.requireBinary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// Writes `text` to `dir/name` and returns its path.
    func write(_ text: String, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

final class CLITests: CLITestCase {

    let decay = """
        model decay()
          compartment cell = 2
          species A in cell, B in cell
          A = 10; B = 0
          k = 0.5
          J1: A => B; cell*k*A
        end
        """

    func testSimulateWritesEvenlySpacedRowsWithExactValues() throws {
        let model = try write(decay, "decay.ant")
        let r = try CLI.run(["simulate", model, "--end", "4", "--steps", "4", "--rtol", "1e-10", "--atol", "1e-14", "--amounts", "B"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,A,B")
        XCTAssertEqual(lines.count, 6)
        for (i, line) in lines.dropFirst().enumerated() {
            let v = line.split(separator: ",").map { Double($0)! }
            XCTAssertEqual(v[0], Double(i))
            XCTAssertEqual(v[1], 10 * exp(-0.5 * Double(i)), accuracy: 1e-7)
            XCTAssertEqual(v[2], 2 * (10 - 10 * exp(-0.5 * Double(i))), accuracy: 1e-6, "B is an amount in a size-2 compartment")
        }
    }

    func testSimulateFormatsAndOverrides() throws {
        let model = try write(decay, "decay.ant")
        let tsv = try CLI.run(["simulate", model, "--end", "1", "--steps", "1", "--format", "tsv", "--set", "k=0", "--variables", "A,k"])
        XCTAssertEqual(tsv.status, 0, tsv.stderr)
        XCTAssertEqual(tsv.stdout, "time\tA\tk\n0.0\t10.0\t0.0\n1.0\t10.0\t0.0\n")
        let json = try CLI.run(["simulate", model, "--end", "1", "--steps", "1", "--format", "json", "--variables", "A"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["columns"] as? [String], ["time", "A"])
        XCTAssertEqual((obj?["rows"] as? [[Double]])?.count, 2)
    }

    func testExitCodes() throws {
        let model = try write(decay, "decay.ant")
        XCTAssertEqual(try CLI.run(["simulate", model]).status, 2, "missing --end is bad usage")
        XCTAssertEqual(try CLI.run(["simulate", model, "--end", "1", "--format", "xml"]).status, 2)
        XCTAssertEqual(try CLI.run(["simulate", model, "--end", "1", "--set", "k"]).status, 2)
        XCTAssertEqual(try CLI.run(["frobnicate"]).status, 2)
        let unknown = try CLI.run(["simulate", model, "--end", "1", "--set", "kk=1"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown id 'kk'"), unknown.stderr)
        XCTAssertTrue(unknown.stdout.isEmpty)
        let negative = try CLI.run(["simulate", model, "--end", "1", "--set", "A=-3"])
        XCTAssertEqual(negative.status, 1)
        XCTAssertTrue(negative.stderr.contains("must not be negative"), negative.stderr)
        let missing = try CLI.run(["simulate", dir.appendingPathComponent("nope.ant").path, "--end", "1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
        let badVariable = try CLI.run(["simulate", model, "--end", "1", "--variables", "A,Z"])
        XCTAssertEqual(badVariable.status, 1)
        XCTAssertTrue(badVariable.stderr.contains("'Z'"), badVariable.stderr)
    }

    func testHelpForEverySubcommandExitsZero() throws {
        let root = try CLI.run(["--help"])
        XCTAssertEqual(root.status, 0)
        XCTAssertTrue(root.stdout.contains("OVERVIEW"), root.stdout + root.stderr)
        for sub in ["simulate", "info", "knockouts", "sweep", "check", "export-sbml", "sbml-suite", "merge", "petab", "scorecard"] {
            let r = try CLI.run([sub, "--help"])
            XCTAssertEqual(r.status, 0, "\(sub): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE"), "\(sub): \(r.stdout)")
        }
    }

    func testSolverFailureNamesTheTimeAndExitsOne() throws {
        // x' = x^2 blows up at t = 1.
        let model = try write("model blow()\n x = 1\n x' = x^2\nend\n", "blow.ant")
        let r = try CLI.run(["simulate", model, "--end", "2", "--steps", "4", "--variables", "x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("t = "), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty, "no partial table on failure")
    }

    func testOutputFileIsWrittenWholeOrNotAtAll() throws {
        let model = try write(decay, "decay.ant")
        let out = dir.appendingPathComponent("out.csv").path
        XCTAssertEqual(try CLI.run(["simulate", model, "--end", "1", "--output", out]).status, 0)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("time,A,B\n"))
        let failing = try CLI.run(["simulate", model, "--end", "1", "--set", "kk=2", "--output", dir.appendingPathComponent("failed.csv").path])
        XCTAssertEqual(failing.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("failed.csv").path))
        let unwritable = try CLI.run(["simulate", model, "--end", "1", "--output", dir.appendingPathComponent("no/such/dir.csv").path])
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertTrue(unwritable.stderr.contains("cannot write"), unwritable.stderr)
    }

    func testExportSBMLReadsBackToTheSameModel() throws {
        let model = try write(decay + "\n", "decay.ant")
        let r = try CLI.run(["export-sbml", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        let back = try SBML.read(string: r.stdout)
        XCTAssertEqual(back, try Antimony.parse(decay))
    }

    func testInfoOnEveryPEtabModelCountsSpeciesAndReactions() throws {
        guard let shared = CLI.shared else { throw XCTSkip("../shared is not present") }
        let root = shared.appendingPathComponent("petab-benchmarks")
        var checked = 0
        for problem in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() {
            let folder = root.appendingPathComponent(problem)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for f in files.sorted() where f.hasSuffix(".xml") {
                let path = folder.appendingPathComponent(f).path
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let species = text.components(separatedBy: "<species ").count - 1
                let reactions = text.components(separatedBy: "<reaction ").count - 1
                let r = try CLI.run(["info", path])
                XCTAssertEqual(r.status, 0, "\(f): \(r.stderr)")
                XCTAssertTrue(r.stdout.contains("\nspecies: \(species)\n"), "\(f): species \(species)")
                XCTAssertTrue(r.stdout.contains("\nreactions: \(reactions)\n"), "\(f): reactions \(reactions)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 26)
    }
}
