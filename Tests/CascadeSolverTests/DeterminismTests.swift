import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// The same simulation gives identical bytes on one thread and on two at once.
final class DeterminismTests: XCTestCase {
    func bytes(_ t: Trajectory) -> [UInt64] { t.values.map(\.bitPattern) }

    func testOneAndTwoThreadsGiveIdenticalBytes() throws {
        let compiled = try CompiledModel(TestModels.kitchenSink)
        let times = stride(from: 0.0, through: 10, by: 0.25).map { $0 }
        let outputs = compiled.stateIds.map { OutputColumn($0) }
        let serial = try Simulator(compiled).simulate(times: times, outputs: outputs)

        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                let sim = try Simulator(compiled)
                // Each thread runs a few simulations so they overlap in time.
                var last: Trajectory?
                for _ in 0 ..< 5 { last = try sim.simulate(times: times, outputs: outputs) }
                results.set(i, last!)
            } catch {
                XCTFail("\(error)")
            }
        }
        for i in 0 ..< 2 {
            XCTAssertEqual(bytes(try XCTUnwrap(results.get(i))), bytes(serial), "thread \(i)")
        }
    }

    func testReusedSimulatorGivesIdenticalBytes() throws {
        let sim = try Simulator(CompiledModel(TestModels.refill))
        let a = try sim.simulate(times: [0, 3, 9, 20], outputs: [OutputColumn("A")])
        _ = try sim.simulate(times: [0, 1], outputs: [OutputColumn("A")], inputs: ["k": 2])
        let b = try sim.simulate(times: [0, 3, 9, 20], outputs: [OutputColumn("A")])
        XCTAssertEqual(bytes(a), bytes(b))
        XCTAssertEqual(a.statistics, b.statistics)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int: Trajectory] = [:]
    func set(_ i: Int, _ t: Trajectory) { lock.lock(); items[i] = t; lock.unlock() }
    func get(_ i: Int) -> Trajectory? { lock.lock(); defer { lock.unlock() }; return items[i] }
}
