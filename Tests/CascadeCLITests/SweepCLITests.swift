import Foundation
import XCTest

/// `cascade sweep` end to end: a killed sweep leaves no output file, `--resume` completes it to
/// the bytes of an uninterrupted run, and shards merge to the unsharded bytes.
final class SweepCLITests: CLITestCase {
    var repo: URL { CLI.repository }

    func experiment(values: Int) throws -> String {
        let text = """
            model: \(repo.appendingPathComponent("models/ketamine.ant").path)
            panel: \(repo.appendingPathComponent("models/inhibitors.yaml").path)
            settle: 1 h
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0 min, add: ketamine, concentration: 1 uM}
              - {at: 1 h, wash: [ketamine]}
            readouts: [p_eEF2, BDNF, p_S6K]
            times: [30 min, 2 h, 24 h]
            sweep:
              parameters:
                ketamine: {from: 0.01 uM, to: 10 uM, count: \(values), scale: log}
              arms: [vehicle, treated]
            """
        let url = dir.appendingPathComponent("sweep.yaml")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func testKilledSweepLeavesNoOutputAndResumeCompletesIt() throws {
        let spec = try experiment(values: 80)
        let out = dir.appendingPathComponent("out.csv")
        let checkpoint = dir.appendingPathComponent(".out.csv.partial")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["sweep", spec, "--output", out.path, "--threads", "1", "--quiet"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until some tasks are in the checkpoint, then kill the process outright.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let text = try? String(contentsOf: checkpoint, encoding: .utf8), text.split(separator: "\n").count > 20 { break }
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the sweep finished before it could be killed; make it larger")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no partial output file")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path))

        let resumed = try CLI.run(["sweep", spec, "--output", out.path, "--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed"), resumed.stderr)
        XCTAssertFalse(resumed.stderr.contains(" 0 resumed"), "something was resumed: \(resumed.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path))

        let fresh = dir.appendingPathComponent("fresh.csv")
        XCTAssertEqual(try CLI.run(["sweep", spec, "--output", fresh.path, "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: out), try Data(contentsOf: fresh))
        XCTAssertEqual(try String(contentsOf: fresh, encoding: .utf8).split(separator: "\n").count, 1 + 160 * 3)
    }

    func testShardsMergeByteForByte() throws {
        let spec = try experiment(values: 5)
        let whole = dir.appendingPathComponent("whole.csv")
        XCTAssertEqual(try CLI.run(["sweep", spec, "--output", whole.path, "--quiet"]).status, 0)
        var shards: [String] = []
        for i in 0 ..< 3 {
            let s = dir.appendingPathComponent("s\(i).csv").path
            let r = try CLI.run(["sweep", spec, "--output", s, "--shard", "\(i)/3", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            shards.append(s)
        }
        let merged = dir.appendingPathComponent("merged.csv")
        let r = try CLI.run(["merge"] + shards + ["--output", merged.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: merged), try Data(contentsOf: whole))
        XCTAssertEqual(try CLI.run(["sweep", spec, "--output", merged.path, "--shard", "3/3"]).status, 2)
    }

    /// The Slurm scripts, run as the array tasks and the merge job would run them.
    func testSlurmArrayScriptsReproduceTheUnshardedSweep() throws {
        let spec = try experiment(values: 4)
        let whole = dir.appendingPathComponent("whole.csv")
        XCTAssertEqual(try CLI.run(["sweep", spec, "--output", whole.path, "--quiet"]).status, 0)
        let outdir = dir.appendingPathComponent("slurm").path
        let scripts = repo.appendingPathComponent("examples/slurm")
        func bash(_ script: String, _ args: [String], env: [String: String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [scripts.appendingPathComponent(script).path] + args
            p.environment = ProcessInfo.processInfo.environment.merging(env.merging(["CASCADE": CLI.binary.path]) { a, _ in a }) { _, b in b }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        for i in 0 ..< 3 {
            XCTAssertEqual(
                try bash(
                    "sweep_array.sh", [spec, outdir],
                    env: ["SLURM_ARRAY_TASK_ID": "\(i)", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_CPUS_PER_TASK": "1"]), 0)
        }
        XCTAssertEqual(try bash("merge.sh", [outdir, "3"], env: [:]), 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: outdir + "/sweep.csv")), try Data(contentsOf: whole))
    }
}
