import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

final class SweepTests: XCTestCase {
    /// A → ∅ with rate k: A(t) = A0 exp(−k t).
    static let decay = Model("decay") {
        Compartment(id: "c", size: 1)
        Species(id: "A", compartment: "c", initial: .concentration(10))
        Parameter(id: "k", value: 0.5)
        Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "c" * "k" * "A")
    }

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func plan(_ ks: [Double], a0: [Double] = [10]) throws -> SweepPlan {
        var o = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14)
        o.maxSteps = 100_000
        return SweepPlan(
            conditionColumns: ["k", "A"], variants: [try CompiledModel(Self.decay)],
            tasks: SweepPlan.grid([("k", ks), ("A", a0)]), times: [0, 1, 2],
            outputs: [OutputColumn("A")], options: o)
    }

    func testGridIsFullFactorialLastAxisFastest() {
        let tasks = SweepPlan.grid([("a", [1, 2]), ("b", [10, 20, 30])])
        XCTAssertEqual(tasks.count, 6)
        XCTAssertEqual(tasks.map { $0.inputs["b"]! }, [10, 20, 30, 10, 20, 30])
        XCTAssertEqual(tasks.map { $0.inputs["a"]! }, [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(tasks.map(\.index), Array(0 ..< 6))
    }

    func testSweepWritesEveryTaskInOrderWithExactValues() throws {
        let ks = (1 ... 20).map { Double($0) / 10 }
        let out = directory.appendingPathComponent("sweep.csv")
        let summary = try SweepRunner.run(plan(ks), output: out, threads: 2)
        XCTAssertEqual(summary.completed, 20)
        XCTAssertEqual(summary.failed, 0)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "index,k,A,status,time,A")
        XCTAssertEqual(lines.count, 1 + 20 * 3)
        for (i, k) in ks.enumerated() {
            let row = lines[1 + 3 * i + 2].split(separator: ",")
            XCTAssertEqual(Int(row[0]), i)
            let value = Double(row[5])!
            XCTAssertEqual(value, 10 * exp(-2 * k), accuracy: 1e-7 * 10 * exp(-2 * k), "k = \(k)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent(".sweep.csv.partial").path))
    }

    func testFailedSimulationIsRecordedAndTheRestGoOn() throws {
        let out = directory.appendingPathComponent("sweep.csv")
        // A negative initial amount is refused for that task only.
        let summary = try SweepRunner.run(plan([0.5], a0: [1, -1, 2]), output: out, threads: 2)
        XCTAssertEqual(summary.completed, 2)
        XCTAssertEqual(summary.failed, 1)
        let text = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(text.contains("1,0.5,-1.0,\"failed: invalid value -1.0 for 'A'"), text)
        XCTAssertEqual(text.split(separator: "\n").count, 1 + 3 + 1 + 3)
    }

    func testShardsMergeToTheUnshardedBytes() throws {
        let p = try plan((1 ... 10).map { Double($0) / 7 }, a0: [1, 3])
        let whole = directory.appendingPathComponent("whole.csv")
        _ = try SweepRunner.run(p, output: whole, threads: 2)
        var shards: [URL] = []
        for i in 0 ..< 3 {
            let url = directory.appendingPathComponent("shard\(i).csv")
            _ = try SweepRunner.run(p, output: url, shard: Shard("\(i)/3"), threads: 1)
            shards.append(url)
        }
        let merged = directory.appendingPathComponent("merged.csv")
        try SweepMerge.merge(shards.reversed(), into: merged)
        XCTAssertEqual(try Data(contentsOf: merged), try Data(contentsOf: whole))
        XCTAssertNil(Shard("3/3"))
        XCTAssertNil(Shard("x/2"))
        XCTAssertThrowsError(try SweepMerge.merge([shards[0], shards[0]], into: merged))
    }

    func testResumeCompletesAnInterruptedSweepToTheSameBytes() throws {
        let p = try plan((1 ... 12).map { Double($0) / 5 })
        let whole = directory.appendingPathComponent("whole.csv")
        _ = try SweepRunner.run(p, output: whole, threads: 2)
        let full = try String(contentsOf: whole, encoding: .utf8)

        // An interrupted run: a checkpoint with five whole tasks and a torn sixth, no output.
        let out = directory.appendingPathComponent("again.csv")
        let lines = full.split(separator: "\n", omittingEmptySubsequences: false)
        let torn = lines.prefix(1 + 5 * 3 + 1).joined(separator: "\n") + "\n" + lines[1 + 5 * 3 + 1].prefix(7)
        let checkpoint = directory.appendingPathComponent(".again.csv.partial")
        try Data(torn.utf8).write(to: checkpoint)
        try Data((p.fingerprint + "\n").utf8).write(to: directory.appendingPathComponent(".again.csv.fingerprint"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        let summary = try SweepRunner.run(p, output: out, resume: true, threads: 2)
        XCTAssertEqual(summary.resumed, 5)
        XCTAssertEqual(summary.completed, 7)
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), full)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path))
    }

    func testResumeRefusesAForeignCheckpoint() throws {
        let out = directory.appendingPathComponent("s.csv")
        try Data("something else\n".utf8).write(to: directory.appendingPathComponent(".s.csv.partial"))
        XCTAssertThrowsError(try SweepRunner.run(plan([1]), output: out, resume: true)) { e in
            XCTAssertTrue("\(e)".contains("does not belong to this sweep"))
        }
    }

    /// The fingerprint follows what the results depend on and nothing else.
    func testFingerprintChangesWithTheSweepOnly() throws {
        let ks = [0.1, 0.2, 0.3]
        XCTAssertEqual(try plan(ks).fingerprint, try plan(ks).fingerprint)
        XCTAssertEqual(try plan(ks).fingerprint.count, 16)
        XCTAssertNotEqual(try plan(ks).fingerprint, try plan([0.1, 0.2, 0.4]).fingerprint, "a value")
        XCTAssertNotEqual(try plan(ks).fingerprint, try plan(ks, a0: [11]).fingerprint, "another value")
        var times = try plan(ks)
        times.times = [0, 1, 3]
        XCTAssertNotEqual(try plan(ks).fingerprint, times.fingerprint, "the output times")
        var model = try plan(ks)
        var m = Self.decay
        m.parameters[0].value = 0.6
        model.variants = [try CompiledModel(m)]
        XCTAssertNotEqual(try plan(ks).fingerprint, model.fingerprint, "the model")
    }

    /// `--resume` after an edit with the same columns spliced old rows into new results.
    func testResumeRefusesTheCheckpointOfAnEditedSweep() throws {
        let old = try plan([0.1, 0.2, 0.3, 0.4])
        let whole = directory.appendingPathComponent("whole.csv")
        _ = try SweepRunner.run(old, output: whole, threads: 1)
        let lines = try String(contentsOf: whole, encoding: .utf8).split(separator: "\n")
        let checkpoint = directory.appendingPathComponent(".again.csv.partial")
        let fingerprint = directory.appendingPathComponent(".again.csv.fingerprint")
        try Data((lines.prefix(1 + 2 * 3).joined(separator: "\n") + "\n").utf8).write(to: checkpoint)
        try Data((old.fingerprint + "\n").utf8).write(to: fingerprint)
        let out = directory.appendingPathComponent("again.csv")
        let edited = try plan([0.1, 0.2, 0.3, 0.5])
        XCTAssertThrowsError(try SweepRunner.run(edited, output: out, resume: true, threads: 1)) { e in
            XCTAssertTrue("\(e)".contains("does not belong to this sweep"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        // Without its fingerprint a checkpoint cannot be trusted either.
        try FileManager.default.removeItem(at: fingerprint)
        XCTAssertThrowsError(try SweepRunner.run(old, output: out, resume: true, threads: 1))
        // With it, the same sweep resumes to the bytes of the uninterrupted run.
        try Data((old.fingerprint + "\n").utf8).write(to: fingerprint)
        XCTAssertEqual(try SweepRunner.run(old, output: out, resume: true, threads: 1).resumed, 2)
        XCTAssertEqual(try Data(contentsOf: out), try Data(contentsOf: whole))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fingerprint.path))
    }

    /// `merge` with one of two shards, or shards of two sweeps, used to exit 0.
    func testMergeRefusesMissingShardsAndShardsOfAnotherSweep() throws {
        let p = try plan([0.1, 0.2, 0.3, 0.4, 0.5]), q = try plan([0.1, 0.2, 0.3, 0.4, 0.6])
        func shards(_ plan: SweepPlan, _ name: String) throws -> [URL] {
            try (0 ..< 3).map { i in
                let url = directory.appendingPathComponent("\(name)\(i).csv")
                _ = try SweepRunner.run(plan, output: url, shard: Shard(index: i, count: 3), threads: 1)
                return url
            }
        }
        let ps = try shards(p, "p"), qs = try shards(q, "q")
        let merged = directory.appendingPathComponent("merged.csv")
        XCTAssertThrowsError(try SweepMerge.merge([ps[0], ps[2]], into: merged)) { e in
            XCTAssertTrue("\(e)".contains("shard 1/3 of this sweep is missing"), "\(e)")
        }
        XCTAssertThrowsError(try SweepMerge.merge([ps[0], qs[1], ps[2]], into: merged)) { e in
            XCTAssertTrue("\(e)".contains("shards of different sweeps"), "\(e)")
        }
        let whole = directory.appendingPathComponent("whole.csv")
        _ = try SweepRunner.run(p, output: whole, threads: 1)
        XCTAssertThrowsError(try SweepMerge.merge([whole], into: merged)) { e in
            XCTAssertTrue("\(e)".contains("not the output of `cascade sweep --shard i/n`"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged.path))
        try SweepMerge.merge(ps, into: merged)
        XCTAssertEqual(try Data(contentsOf: merged), try Data(contentsOf: whole))
        // The output may not be one of the shards.
        XCTAssertThrowsError(try SweepMerge.merge(ps, into: ps[1])) { e in
            XCTAssertTrue("\(e)".contains("is also an input"), "\(e)")
        }
    }

    /// `sweep --output DIR` deleted the directory and wrote the CSV in its place.
    func testADirectoryIsNeverAnOutput() throws {
        let folder = directory.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: folder.appendingPathComponent("keep.txt"))
        XCTAssertThrowsError(try SweepRunner.run(plan([0.1]), output: folder, threads: 1)) { e in
            XCTAssertTrue("\(e)".contains("is a directory"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("keep.txt"), encoding: .utf8), "keep")
    }

    /// A second sweep on the same output is refused while the first holds the lock.
    func testASecondRunCannotWriteTheSameOutput() throws {
        let out = directory.appendingPathComponent("s.csv")
        let held = try OutputFile(out.path).lock()
        XCTAssertThrowsError(try SweepRunner.run(plan([0.1]), output: out, threads: 1)) { e in
            XCTAssertTrue("\(e)".contains("another cascade run is writing this output"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        held.release()
        XCTAssertEqual(try SweepRunner.run(plan([0.1]), output: out, threads: 1).completed, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent(".s.csv.lock").path))
    }
}
