import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

// Running a PEtab problem's simulations: the one place where a PEtab job meets the simulator.

extension PEtabSimulationJob {
    /// Simulates the job on `simulator` (a model compiled from the plan's `model`): from time 0
    /// under the simulation condition, after pre-equilibration to steady state when the job has
    /// a pre-equilibration condition. Returns the values row-major: `times.count` rows of
    /// `outputIds.count` values (`inf` times give the steady state).
    ///
    /// - Parameter parameters: model values to use under both conditions where the conditions
    ///   do not set them (e.g. parameter-table values during estimation, when the simulator's
    ///   model was compiled once with other nominal values).
    public func simulate(on simulator: Simulator, parameters: [String: Double] = [:]) throws -> [Double] {
        var simulationInputs = parameters
        for (k, v) in inputs { simulationInputs[k] = v }
        let pre = preequilibrationInputs.map { preInputs -> Preequilibration in
            var all = parameters
            for (k, v) in preInputs { all[k] = v }
            return Preequilibration(inputs: all, reinitialise: Set(reinitialisedIds))
        }
        return try simulator.simulate(
            times: times, outputs: outputIds.map { OutputColumn($0) }, inputs: simulationInputs,
            start: 0, preequilibration: pre
        ).values
    }
}

extension PEtabSimulationPlan {
    /// The solver options PEtab simulations run with: `options` with non-finite outputs allowed,
    /// because an output undefined at some time (0/0 at the start, say) is an error only for the
    /// rows whose observables use it, and those get NaN.
    public static func solverOptions(_ options: SolverOptions) -> SolverOptions {
        var o = options
        o.allowNonFiniteOutputs = true
        return o
    }

    /// Simulates every job on `threads` threads, one simulator per thread (see `ParallelRunner`),
    /// and evaluates the observables. The result does not depend on the number of threads. When
    /// jobs fail, the failure of the first in job order is thrown as a `PEtabJobError` naming
    /// its conditions.
    ///
    /// - Parameters:
    ///   - compiled: the plan's `model`, compiled.
    ///   - options: solver settings (non-finite outputs are allowed, see `solverOptions(_:)`).
    public func simulate(
        _ compiled: CompiledModel, options: SolverOptions = SolverOptions(),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil
    ) throws -> PEtabSimulationResult {
        let options = Self.solverOptions(options)
        let runner = ParallelRunner(threads: threads, progress: progress, stopAtFirstFailure: true)
        let jobs = self.jobs
        let results = runner.simulate(count: jobs.count, model: compiled, options: options) { sim, j in
            try jobs[j].simulate(on: sim)
        }
        return try evaluate(values(results))
    }

    /// Runs every job with a runner of the caller's own (one `makeRunner` call per worker thread,
    /// e.g. to make a simulator with other settings or one that also computes sensitivities),
    /// then evaluates the observables. Same ordering and errors as `simulate`.
    public func run(
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        makeRunner: @escaping @Sendable () throws -> (PEtabSimulationJob) throws -> [Double]
    )
        throws -> PEtabSimulationResult
    {
        let runner = ParallelRunner(threads: threads, stopAtFirstFailure: true)
        let jobs = self.jobs
        let results = runner.run(count: jobs.count, worker: { try makeRunner() }) { run, j in try run(jobs[j]) }
        return try evaluate(values(results))
    }

    /// The jobs' values in job order, or the first failure in job order.
    func values(_ results: [Result<[Double], any Error>]) throws -> [[Double]] {
        do {
            return try ParallelRunner.values(results)
        } catch let f as ParallelRunner.JobFailure {
            throw PEtabJobError(job: jobs[f.index], underlying: f.underlying)
        }
    }
}

/// A job that failed, naming its conditions.
public struct PEtabJobError: Error, CustomStringConvertible {
    public var job: PEtabSimulationJob
    public var underlying: Error
    public var description: String {
        var s = "condition '\(job.simulationConditionId)'"
        if let p = job.preequilibrationConditionId { s += " (pre-equilibrated under '\(p)')" }
        return s + ": \(underlying)"
    }
}
