import Dispatch
import Foundation

/// Runs independent jobs (simulations, most often) on worker threads, deterministically.
///
/// Every parallel loop in Cascade goes through this type, so the rules hold everywhere:
///
/// - **Results by index.** `run` returns one `Result` per job, `results[i]` for job `i`, whatever
///   the number of threads or the order in which jobs finish.
/// - **Failures as values.** A job that throws gives `.failure(error)` at its index; the other
///   jobs go on (unless `stopAtFirstFailure`). `ParallelRunner.values(_:)` turns the results into
///   values or throws the failure of the lowest index, so the error reported does not depend on
///   the schedule either.
/// - **One worker state per thread, reused.** Each worker thread makes its state (typically a
///   `Simulator`, which owns CVODE memory and must not be shared) the first time it takes a job,
///   and passes it to every job it runs after that. A simulator gives the same trajectory for
///   the same inputs whether it is new or has run other jobs before, so reuse does not change
///   results, and a sweep pays the set-up once per thread, not once per job.
/// - **Progress and cancellation in one place.** `progress` is called after each job, never
///   concurrently with itself, with the count of finished jobs; a `CancellationToken` stops
///   the jobs not yet started (they give `.failure(ParallelRunner.Cancelled())`).
///
/// Jobs are handed out in index order from one shared counter, so uneven jobs balance across
/// threads. A job must not depend on which worker runs it, beyond the worker state it is given.
///
///     let runner = ParallelRunner(threads: 4)
///     let results = runner.run(count: doses.count, worker: { try Simulator(compiled) }) { sim, i in
///         try sim.simulate(times: times, outputs: outputs, inputs: ["dose": doses[i]])
///     }
///     let trajectories = try ParallelRunner.values(results)   // or inspect each Result
///
/// For simulations on one compiled model, `simulate(count:model:options:_:)` makes the simulator
/// per worker itself. A `WorkerPool` keeps worker states between runs (an optimiser evaluating
/// one objective many times); `onResult` streams each result as it finishes.
public struct ParallelRunner: Sendable {
    /// Worker threads at most (at least one); fewer when there are fewer jobs.
    public var threads: Int
    /// Called after each finished job (whether it succeeded or failed) with the number of
    /// finished jobs and the total. Calls never overlap, and the count only grows.
    public var progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)?
    /// Stops the jobs not started yet when cancelled.
    public var cancellation: CancellationToken?
    /// When true, a failure cancels the jobs with a higher index that have not started yet. The
    /// jobs with a lower index have all started by then (jobs are handed out in index order) and
    /// run to completion, so the first failure by index is the same on every run.
    public var stopAtFirstFailure: Bool

    public init(
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil,
        cancellation: CancellationToken? = nil, stopAtFirstFailure: Bool = false
    ) {
        self.threads = threads
        self.progress = progress
        self.cancellation = cancellation
        self.stopAtFirstFailure = stopAtFirstFailure
    }

    /// The error of a job that did not run because the run was cancelled (by the token, or by
    /// an earlier failure with `stopAtFirstFailure`).
    public struct Cancelled: Error, CustomStringConvertible, Equatable {
        public init() {}
        public var description: String { "cancelled" }
    }

    /// A job's failure, with its index (thrown by `values(_:)`).
    public struct JobFailure: Error, CustomStringConvertible {
        public var index: Int
        public var underlying: any Error
        public var description: String { "\(underlying)" }
    }

    /// Runs jobs `0 ..< count`. Each worker thread calls `worker` once, before its first job,
    /// and hands the state to each of its jobs. Both closures run on worker threads, so they are
    /// `@Sendable`: they read shared inputs and write nothing shared (return values instead).
    /// When `worker` throws, the job that needed it fails with that error and the next job on
    /// that thread tries again.
    ///
    /// `onResult`, when given, receives each job's index and result as it finishes, serialised
    /// like `progress` (e.g. to stream results to a file or report them as they come).
    public func run<Worker, Value>(
        count: Int, worker makeWorker: @Sendable () throws -> Worker,
        onResult: (@Sendable (Int, Result<Value, any Error>) -> Void)? = nil,
        _ job: @Sendable (inout Worker, Int) throws -> Value
    ) -> [Result<Value, any Error>] {
        execute(count: count, take: makeWorker, give: { _ in }, onResult: onResult, job)
    }

    /// Runs jobs `0 ..< count` with worker states taken from `pool` (those `reusable` accepts)
    /// or made by `worker`, and given back to the pool when the thread has no job left: repeated
    /// runs, such as an optimiser's evaluations of one objective, pay the set-up once per thread
    /// instead of once per run.
    public func run<Worker, Value>(
        count: Int, pool: WorkerPool<Worker>,
        reusable: @Sendable (Worker) -> Bool = { _ in true },
        worker makeWorker: @Sendable () throws -> Worker,
        _ job: @Sendable (inout Worker, Int) throws -> Value
    ) -> [Result<Value, any Error>] {
        execute(
            count: count, take: { try pool.take(where: reusable) ?? makeWorker() }, give: { pool.give($0) },
            onResult: nil, job)
    }

    private func execute<Worker, Value>(
        count: Int, take: @Sendable () throws -> Worker, give: @Sendable (Worker) -> Void,
        onResult: (@Sendable (Int, Result<Value, any Error>) -> Void)?,
        _ job: @Sendable (inout Worker, Int) throws -> Value
    ) -> [Result<Value, any Error>] {
        guard count > 0 else { return [] }
        let state = RunState<Value>(count: count, cancellation: cancellation, stopAtFirstFailure: stopAtFirstFailure)
        let progress = self.progress
        let workers = Swift.max(1, Swift.min(threads, count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var worker: Worker?
            while let i = state.next() {
                let result: Result<Value, any Error>
                do {
                    if worker == nil { worker = try take() }
                    result = .success(try job(&worker!, i))
                } catch {
                    result = .failure(error)
                }
                state.finish(i, result, progress: progress, onResult: onResult)
            }
            if let worker { give(worker) }
        }
        return state.results()
    }

    /// Runs jobs `0 ..< count` without worker state.
    public func run<Value>(count: Int, _ job: @Sendable (Int) throws -> Value) -> [Result<Value, any Error>] {
        run(count: count, worker: { () }) { _, i in try job(i) }
    }

    /// Runs simulations of one compiled model: each worker thread has its own `Simulator`
    /// (made with `options`), reused for all the jobs it runs.
    public func simulate<Value>(
        count: Int, model: CompiledModel, options: SolverOptions = SolverOptions(),
        _ job: @Sendable (Simulator, Int) throws -> Value
    ) -> [Result<Value, any Error>] {
        run(count: count, worker: { try Simulator(model, options: options) }) { sim, i in try job(sim, i) }
    }

    /// The values of successful results in index order; throws the failure with the lowest index
    /// as a `JobFailure`.
    public static func values<Value>(_ results: [Result<Value, any Error>]) throws -> [Value] {
        var out: [Value] = []
        out.reserveCapacity(results.count)
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let v): out.append(v)
            case .failure(let e): throw JobFailure(index: i, underlying: e)
            }
        }
        return out
    }

    /// How many jobs failed (cancelled ones included).
    public static func failureCount<Value>(_ results: [Result<Value, any Error>]) -> Int {
        results.reduce(0) { n, r in if case .failure = r { return n + 1 } else { return n } }
    }

    /// The failure with the lowest index, if any.
    public static func firstFailure<Value>(_ results: [Result<Value, any Error>]) -> (index: Int, error: any Error)? {
        for (i, r) in results.enumerated() { if case .failure(let e) = r { return (i, e) } }
        return nil
    }
}

/// Worker states kept between runs of `ParallelRunner.run(count:pool:reusable:worker:_:)`.
public final class WorkerPool<Worker>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Worker] = []

    public init() {}

    /// An idle worker that `reusable` accepts; the idle ones it rejects are dropped.
    public func take(where reusable: (Worker) -> Bool = { _ in true }) -> Worker? {
        lock.lock()
        defer { lock.unlock() }
        while let w = idle.popLast() {
            if reusable(w) { return w }
        }
        return nil
    }

    public func give(_ worker: Worker) {
        lock.lock()
        idle.append(worker)
        lock.unlock()
    }
}

/// A flag that asks running work to stop; safe to set from any thread (a signal handler's
/// thread, a progress callback, another job).
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// The shared state of one `ParallelRunner.run`: the next job, the results, the finished count.
/// Everything goes through one lock; a job is far longer than taking it.
private final class RunState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var finished = 0
    /// Jobs from this index on are skipped (a failure with `stopAtFirstFailure`).
    private var stopIndex: Int
    private var slots: [Result<Value, any Error>?]
    private let cancellation: CancellationToken?
    private let stopAtFirstFailure: Bool

    init(count: Int, cancellation: CancellationToken?, stopAtFirstFailure: Bool) {
        slots = Array(repeating: nil, count: count)
        stopIndex = count
        self.cancellation = cancellation
        self.stopAtFirstFailure = stopAtFirstFailure
    }

    /// The next job to run, or nil when none is left; jobs skipped by cancellation are recorded
    /// as `Cancelled` here.
    func next() -> Int? {
        let cancelled = cancellation?.isCancelled ?? false
        lock.lock()
        defer { lock.unlock() }
        if cancelled || nextIndex >= stopIndex {
            while nextIndex < slots.count {
                slots[nextIndex] = .failure(ParallelRunner.Cancelled())
                nextIndex += 1
            }
            return nil
        }
        guard nextIndex < slots.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    func finish(
        _ i: Int, _ result: Result<Value, any Error>,
        progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)?,
        onResult: (@Sendable (Int, Result<Value, any Error>) -> Void)?
    ) {
        lock.lock()
        defer { lock.unlock() }
        slots[i] = result
        if stopAtFirstFailure, case .failure = result { stopIndex = Swift.min(stopIndex, i + 1) }
        finished += 1
        onResult?(i, result)
        progress?(finished, slots.count)
    }

    func results() -> [Result<Value, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? .failure(ParallelRunner.Cancelled()) }
    }
}
