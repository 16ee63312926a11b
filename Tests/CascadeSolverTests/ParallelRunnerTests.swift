import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// The parallel runner: results by index whatever the thread count, failures as values,
/// one reused worker state per thread, progress and cancellation.
final class ParallelRunnerTests: XCTestCase {
    /// Rate constants spread over two decades, one simulation each.
    static let rates = (0 ..< 40).map { 0.05 * pow(10, 2 * Double($0) / 39) }
    static let times = stride(from: 0.0, through: 6, by: 0.5).map { $0 }

    func decaySweep(threads: Int) throws -> [[UInt64]] {
        let compiled = try CompiledModel(TestModels.decay)
        let runner = ParallelRunner(threads: threads)
        let results = runner.simulate(
            count: Self.rates.count, model: compiled,
            options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
        ) { sim, i in
            try sim.simulate(times: Self.times, outputs: [OutputColumn("A")], inputs: ["k": Self.rates[i]])
        }
        let trajectories = try ParallelRunner.values(results)
        // Each trajectory is its own job's: A(t) = 10·exp(−k t).
        for (i, t) in trajectories.enumerated() {
            for (r, time) in Self.times.enumerated() {
                XCTAssertEqual(t[r, 0], 10 * exp(-Self.rates[i] * time), accuracy: 1e-7 * 10, "job \(i) at t = \(time)")
            }
        }
        return trajectories.map { $0.values.map(\.bitPattern) }
    }

    func testResultsAreIdenticalWhateverTheThreadCount() throws {
        let one = try decaySweep(threads: 1)
        for threads in [2, 3, 8] {
            XCTAssertEqual(try decaySweep(threads: threads), one, "\(threads) threads")
        }
    }

    func testFailuresAreValuesAtTheirIndex() throws {
        let compiled = try CompiledModel(TestModels.decay)
        let results = ParallelRunner(threads: 3).simulate(count: 20, model: compiled) { sim, i in
            // Every fifth job asks for an input the model does not have.
            try sim.simulate(times: [0, 1], outputs: [OutputColumn("A")], inputs: [i % 5 == 3 ? "nope" : "k": 0.5]).values
        }
        XCTAssertEqual(results.count, 20)
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let v):
                XCTAssertNotEqual(i % 5, 3, "job \(i) should fail")
                XCTAssertEqual(v[1], 10 * exp(-0.5), accuracy: 1e-5)
            case .failure(let e):
                XCTAssertEqual(i % 5, 3, "job \(i) should succeed")
                XCTAssertEqual(e as? SimulationError, .unknownInput("nope"))
            }
        }
        XCTAssertEqual(ParallelRunner.firstFailure(results)?.index, 3)
        XCTAssertThrowsError(try ParallelRunner.values(results)) { e in
            XCTAssertEqual((e as? ParallelRunner.JobFailure)?.index, 3)
        }
    }

    func testEachThreadMakesItsWorkerOnceAndReusesIt() {
        let made = Tally()
        for threads in [1, 2, 4] {
            made.reset()
            let results = ParallelRunner(threads: threads).run(
                count: 50,
                worker: { () -> [Int] in
                    made.add()
                    return []
                }
            ) { seen, i in
                seen.append(i)
                return seen.count
            }
            let counts = results.map { try? $0.get() }
            XCTAssertLessThanOrEqual(made.value, threads)
            // Every job ran once on some worker: the workers' job counts add up to 50.
            XCTAssertEqual(counts.compactMap { $0 }.count, 50)
            XCTAssertGreaterThanOrEqual(made.value, 1)
        }
    }

    func testAWorkerThatCannotBeMadeFailsItsJobs() {
        struct NoWorker: Error, Equatable {}
        let results = ParallelRunner(threads: 2).run(count: 6, worker: { () throws -> Int in throw NoWorker() }) { w, _ in w }
        XCTAssertEqual(results.count, 6)
        for r in results { XCTAssertThrowsError(try r.get()) { XCTAssertTrue($0 is NoWorker) } }
    }

    func testProgressCountsEveryJobInOrder() {
        let seen = Recorder()
        let runner = ParallelRunner(threads: 4, progress: { done, total in seen.append(done, total) })
        let results = runner.run(count: 30) { i in i * i }
        XCTAssertEqual(results.map { try? $0.get() }, (0 ..< 30).map { $0 * $0 })
        XCTAssertEqual(seen.items.map(\.0), Array(1 ... 30), "one call per job, counts growing")
        XCTAssertTrue(seen.items.allSatisfy { $0.1 == 30 })
    }

    func testCancellationStopsTheJobsNotStarted() {
        let token = CancellationToken()
        // One thread: the jobs after the fifth finished one never start.
        let runner = ParallelRunner(
            threads: 1, progress: { done, _ in if done == 5 { token.cancel() } },
            cancellation: token)
        let results = runner.run(count: 100) { i in i }
        XCTAssertEqual(results.prefix(5).map { try? $0.get() }, [0, 1, 2, 3, 4])
        for r in results.dropFirst(5) {
            XCTAssertThrowsError(try r.get()) { XCTAssertEqual($0 as? ParallelRunner.Cancelled, ParallelRunner.Cancelled()) }
        }

        // Several threads: whatever ran finished correctly, the rest are cancelled, nothing is lost.
        let token2 = CancellationToken()
        let results2 = ParallelRunner(
            threads: 4, progress: { done, _ in if done == 10 { token2.cancel() } },
            cancellation: token2
        ).run(count: 1000) { i in i }
        XCTAssertEqual(results2.count, 1000)
        var cancelled = 0
        for (i, r) in results2.enumerated() {
            switch r {
            case .success(let v): XCTAssertEqual(v, i)
            case .failure(let e): XCTAssertTrue(e is ParallelRunner.Cancelled); cancelled += 1
            }
        }
        XCTAssertGreaterThan(cancelled, 0)
        XCTAssertLessThanOrEqual(cancelled, 990)

        // Cancelled before the start: nothing runs.
        let early = CancellationToken()
        early.cancel()
        let none = ParallelRunner(threads: 2, cancellation: early).run(count: 5) { i -> Int in
            XCTFail("job \(i) ran")
            return i
        }
        XCTAssertEqual(none.compactMap { try? $0.get() }, [])
    }

    func testStopAtFirstFailureKeepsTheFirstFailureByIndex() {
        struct Bad: Error {}
        for threads in [1, 2, 4] {
            let results = ParallelRunner(threads: threads, stopAtFirstFailure: true).run(count: 200) { i -> Int in
                if i == 10 || i == 150 { throw Bad() }
                usleep(300)  // jobs that take a moment, like simulations
                return i
            }
            // Everything before the first failure ran; the first failure is job 10 every time.
            XCTAssertEqual(results.prefix(10).map { try? $0.get() }, Array(0 ..< 10))
            XCTAssertEqual(ParallelRunner.firstFailure(results)?.index, 10)
            XCTAssertTrue(ParallelRunner.firstFailure(results)?.error is Bad)
            // Jobs well after it were not started.
            XCTAssertTrue(
                results.suffix(40).allSatisfy {
                    if case .failure(let e) = $0 { return e is ParallelRunner.Cancelled }; return false
                })
        }
    }

    func testOnResultSeesEveryJobOnce() {
        let seen = Recorder()
        let results = ParallelRunner(threads: 3).run(
            count: 40, worker: { () },
            onResult: { i, r in
                seen.append(i, (try? r.get()) ?? -1)
            }
        ) { _, i in i * 3 }
        XCTAssertEqual(results.map { try? $0.get() }, (0 ..< 40).map { $0 * 3 })
        XCTAssertEqual(seen.items.map(\.0).sorted(), Array(0 ..< 40))
        XCTAssertTrue(seen.items.allSatisfy { $0.1 == $0.0 * 3 })
    }

    func testAPoolKeepsWorkersBetweenRuns() {
        let made = Tally()
        let pool = WorkerPool<Int>()
        let runner = ParallelRunner(threads: 2)
        for _ in 0 ..< 5 {
            let r = runner.run(
                count: 20, pool: pool,
                worker: { () -> Int in
                    made.add(); return 7
                }
            ) { w, i in w + i }
            XCTAssertEqual(r.map { try? $0.get() }, (0 ..< 20).map { 7 + $0 })
        }
        XCTAssertLessThanOrEqual(made.value, 2, "five runs on two threads make at most two workers")
        // Workers the caller no longer accepts are dropped and new ones made.
        made.reset()
        _ = runner.run(
            count: 20, pool: pool, reusable: { $0 == 8 },
            worker: { () -> Int in
                made.add(); return 8
            }
        ) { w, i in w + i }
        XCTAssertGreaterThanOrEqual(made.value, 1)
        XCTAssertEqual(pool.take(), 8)
        XCTAssertNil(pool.take(where: { $0 == 7 }), "the rejected workers are gone")
    }

    func testNoJobs() {
        XCTAssertTrue(ParallelRunner(threads: 4).run(count: 0) { i in i }.isEmpty)
    }
}

private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    func reset() { lock.lock(); n = 0; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [(Int, Int)] = []
    func append(_ a: Int, _ b: Int) { lock.lock(); list.append((a, b)); lock.unlock() }
    var items: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return list }
}
