import CascadeCore
import CascadeExperiments
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
        return SweepPlan(conditionColumns: ["k", "A"], variants: [try CompiledModel(Self.decay)],
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
}
