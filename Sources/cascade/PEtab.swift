import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

struct PEtab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petab",
        abstract: "Simulate a PEtab problem at its nominal parameters and write the simulation table.",
        discussion: """
            PROBLEM is a PEtab version 1 problem file (YAML). Every condition pair of the measurement table is \
            simulated, in parallel, from time 0 at the nominal parameter values, with pre-equilibration to \
            steady state where a row names a pre-equilibration condition, and steady states for times `inf`. \
            The output is a PEtab simulation table: the measurement table's columns and rows, with \
            `simulation` in place of `measurement` (untransformed observable values).

            Example:
              cascade petab Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml \\
                --output simulations.tsv
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: ArgumentHelp("Write the simulation table to FILE (atomically) instead of standard output.", valueName: "file")) var output: String?
    @OptionGroup(title: "Solver") var solver: SolverFlags<PEtabSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @Flag(help: "Print per-problem timing and job counts to standard error.") var verbose = false

    func run() throws {
        let started = Date()
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        let petab = try PEtabProblem(contentsOf: url)
        let plan = try PEtabSimulationPlan(petab)
        let compiled = try compile(plan.model, path: problem)
        var options = solver.options()
        // An output that is undefined at some time (0/0 at the start, say) is an error only for
        // the rows whose observables use it: those get NaN.
        options.allowNonFiniteOutputs = true
        let solverOptions = options
        let result = try plan.run(threads: threads.count) {
            let simulator = try Simulator(compiled, options: solverOptions)
            return { job in try PEtabRunner.simulate(job, with: simulator) }
        }
        try writeOutput(result.table.text, to: output)
        if verbose {
            let seconds = Date().timeIntervalSince(started)
            FileHandle.standardError.write(Data(String(
                format: "petab: %d rows, %d simulations, %d states, %.2f s\n",
                result.simulations.count, plan.jobs.count, compiled.stateCount, seconds).utf8))
        }
    }
}

/// Runs one PEtab simulation job on a simulator.
enum PEtabRunner {
    static func simulate(_ job: PEtabSimulationJob, with simulator: Simulator) throws -> [Double] {
        let pre = job.preequilibrationInputs.map { Preequilibration(inputs: $0, reinitialise: Set(job.reinitialisedIds)) }
        return try simulator.simulate(times: job.times, outputs: job.outputIds.map { OutputColumn($0) }, inputs: job.inputs,
                                      start: 0, preequilibration: pre).values
    }
}
