import Foundation

/// Runs independent jobs on worker threads: each worker makes its own state once (simulators are
/// not shared between threads) and takes the next job index until none is left; results are
/// stored by index, so they are the same whatever the number of threads.
enum Parallel {
    static func map<Worker, Result: Sendable>(count: Int, threads: Int, makeWorker: @Sendable () -> Worker,
                                              _ job: @Sendable (inout Worker, Int) -> Result) -> [Result] {
        guard count > 0 else { return [] }
        let slots = Slots<Result>(count: count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            var worker = makeWorker()
            while let i = slots.take() { slots.set(i, job(&worker, i)) }
        }
        return slots.results()
    }

    /// The job counter and the result slots, behind one lock.
    private final class Slots<Result>: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private var items: [Result?]
        init(count: Int) { items = Array(repeating: nil, count: count) }
        func take() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < items.count else { return nil }
            next += 1
            return next - 1
        }
        func set(_ i: Int, _ r: Result) { lock.lock(); items[i] = r; lock.unlock() }
        func results() -> [Result] { lock.lock(); defer { lock.unlock() }; return items.map { $0! } }
    }
}
