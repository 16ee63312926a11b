import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadePEtab
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
        try checkOutputs(output)
        let petab = try ModelFile.loadPEtab(path: problem)
        let plan = try PEtabSimulationPlan(petab)
        let compiled = try compile(plan.model, path: problem)
        // Rows whose observables are undefined at some time (0/0 at the start, say) get NaN.
        let result = try plan.simulate(compiled, options: solver.options(), threads: threads.count)
        try writeOutput(result.table.text, to: output)
        if verbose {
            let seconds = Date().timeIntervalSince(started)
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "petab: %d rows, %d simulations, %d states, %.2f s\n",
                        result.simulations.count, plan.jobs.count, compiled.stateCount, seconds
                    ).utf8))
        }
    }
}
