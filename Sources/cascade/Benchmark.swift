import ArgumentParser
import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadeReports
import CascadeSolver
import Foundation

/// Times one model the way scripts/bench compares simulators: compile once, then repeated single
/// simulations (median), then a sweep of many simulations on all cores. Prints JSON.
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time compiling and simulating a model (used by scripts/bench).",
        discussion: """
            Prints JSON: load_s (read and compile), single_ms (median of --repeat simulations reusing one \
            simulator), sweep_s (--sweep simulations with --parameter scaled over a log grid, on --threads), \
            and the last trajectory's final values for accuracy checks.
            """)

    @Argument(help: "The model (.ant or .xml).") var model: String
    @Option(parsing: .unconditional, help: ArgumentHelp("End time, e.g. 3600 or 1h.", valueName: "time"), transform: TimeValue.parse)
    var end: TimeValue
    @Option(help: "Number of output intervals.") var steps: Int = 100
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Start of the simulation, at or before 0; outputs still run from 0 to --end.",
            valueName: "time"), transform: TimeValue.parse)
    var start = TimeValue(seconds: 0)
    @OptionGroup(title: "Solver") var solver: SolverFlags<ModelSolverDefaults>
    @Option(help: "Single simulations to time (median reported).") var `repeat`: Int = 20
    @Option(help: "Simulations in the sweep; 0 skips it.") var sweep: Int = 0
    @Option(help: "Parameter varied in the sweep; the first parameter when omitted.") var parameter: String?
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @Option(help: "Write the trajectory of one simulation to this CSV file.") var trajectory: String?

    func validate() throws {
        guard start.seconds <= 0 else { throw ValidationError("--start must be at or before 0, got \(start)") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        let loaded = clock.now - t0
        let (start, end) = (self.start.seconds, self.end.seconds)
        let times = (0 ... steps).map { end * Double($0) / Double(steps) }
        let outputs = m.species.map { OutputColumn($0.id, .concentration) }
        let options = solver.options()
        let sim = try Simulator(compiled, options: options)
        var first = try sim.simulate(times: times, outputs: outputs, start: start)
        var samples: [Double] = []
        for _ in 0 ..< max(1, self.repeat) {
            let s = clock.now
            first = try sim.simulate(times: times, outputs: outputs, start: start)
            samples.append(seconds(clock.now - s))
        }
        samples.sort()
        var sweepSeconds = 0.0
        var failures = 0
        if sweep > 0 {
            let p = parameter ?? compiled.inputIds.first { m.parameter($0) != nil } ?? compiled.inputIds[0]
            guard let k = compiled.inputPosition(p) else {
                throw Failure("--parameter: unknown id '\(p)'" + Spelling.didYouMean(p, among: compiled.inputIds))
            }
            let nominal = compiled.nominalInputs[k]
            let n = sweep
            let s = clock.now
            let results = ParallelRunner(threads: threads.count).simulate(count: n, model: compiled, options: options) { worker, i in
                let factor = pow(10, -1 + 2 * Double(i) / Double(max(1, n - 1)))
                _ = try worker.simulate(times: times, outputs: outputs, inputs: [p: nominal * factor], start: start)
            }
            sweepSeconds = seconds(clock.now - s)
            failures = ParallelRunner.failureCount(results)
        }
        if let trajectory {
            try writeOutput(TrajectoryText.render(first, format: "csv", header: ["time"] + outputs.map(\.id)), to: trajectory)
        }
        let json = """
            {"model": "\(jsonEscape(model))", "states": \(compiled.stateCount), "jacobian_nonzeros": \(compiled.jacobianNonZeros),
             "sparse": \(sim.usesSparseSolver), "rhs_instructions": \(compiled.tapeSizes.rhs), "jacobian_instructions": \(compiled.tapeSizes.jacobian),
             "rhs_runs": \(compiled.tapeRuns.rhs), "jacobian_runs": \(compiled.tapeRuns.jacobian),
             "rhs_invariant_instructions": \(compiled.tapeInvariants.rhs), "jacobian_invariant_instructions": \(compiled.tapeInvariants.jacobian),
             "load_s": \(seconds(loaded)), "single_ms": \(1000 * samples[samples.count / 2]),
             "single_min_ms": \(1000 * samples[0]),
             "single_p90_ms": \(1000 * samples[min(samples.count - 1, samples.count * 9 / 10)]), "steps": \(first.statistics.steps),
             "rhs_evaluations": \(first.statistics.rhsEvaluations), "jacobian_evaluations": \(first.statistics.jacobianEvaluations),
             "linear_solver_setups": \(first.statistics.linearSolverSetups), "nonlinear_iterations": \(first.statistics.nonlinearIterations),
             "error_test_failures": \(first.statistics.errorTestFailures), "restarts": \(first.statistics.restarts), "sweep": \(sweep), "sweep_s": \(sweepSeconds),
             "sweep_failures": \(failures), "threads": \(threads.count)}

            """
        FileHandle.standardOutput.write(Data(json.utf8))
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
