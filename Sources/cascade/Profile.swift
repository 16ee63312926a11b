import ArgumentParser
import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Profile likelihoods and 95% confidence intervals of a PEtab problem's estimated parameters.",
        discussion: """
            Starting from the values in BEST.tsv (a parameter table, e.g. the parameters.tsv of \
            `cascade fit`; nominalValue on the linear scale), each parameter is stepped away in both \
            directions on its scale and the others are re-optimised at every step, until the \
            log-likelihood falls 1.92 below the best (the 95% threshold of the likelihood-ratio test) \
            or the bound is reached. Parameters are profiled in parallel. The re-optimisation uses \
            the optimiser of `cascade fit` with the same defaults and options (--hybrid, \
            --hybrid-rule, --hybrid-start, --subspace, --function-test, --sigma-curvature, --bfgs, \
            --ftol, --gtol), with at most 200 iterations per point (--max-iterations).

            Writes DIR/profiles.tsv (parameterId, value, llh, exit), DIR/intervals.tsv (parameterId, \
            best, lower95, upper95, identifiable; an empty bound means the profile stays above the \
            threshold up to the parameter's bound) and DIR/report.html.

            Example:
              cascade profile Boehm.yaml --parameters boehm-fit/parameters.tsv --output boehm-profiles
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: ArgumentHelp("Parameter table with the values to profile from (nominalValue column).", valueName: "file"))
    var parameters: String
    @Option(name: .customLong("parameter"), help: "Profile only this parameter (repeatable).") var only: [String] = []
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var output: String
    @Option(name: .customLong("max-points"), help: "Most points per side of each profile.") var maxPoints: Int = 60
    @OptionGroup(title: "Optimiser") var optimizer: OptimizerFlags<ProfileOptimizerDefaults>
    @OptionGroup(title: "Solver") var solverFlags: SolverFlags<FitSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        guard maxPoints > 0 else { throw ValidationError("--max-points must be positive") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        guard FileManager.default.fileExists(atPath: parameters) else { throw Failure("\(parameters): no such file") }
        let solver = solverFlags.options()
        let estimation = try EstimationProblem(contentsOf: url, options: solver)
        let space = estimation.space
        let best = try Profiling.readValues(URL(fileURLWithPath: parameters), space: space)
        var indices: [Int]?
        if !only.isEmpty {
            indices = try only.map { id in
                guard let k = space.ids.firstIndex(of: id) else {
                    throw Failure("--parameter \(id): not an estimated parameter of \(problem) (estimated: \(space.ids.joined(separator: ", ")))")
                }
                return k
            }
        }
        let terminal = isatty(2) != 0
        let total = indices?.count ?? space.dimension
        final class Count: @unchecked Sendable { var value = 0 }
        let count = Count()
        var options = Profiling.Options()
        optimizer.apply(to: &options.optimizer)
        let sigmaCurvature = optimizer.withSigmaCurvature
        options.maxPointsPerSide = maxPoints
        let profiles = try Profiling.run(
            space: space, best: best, indices: indices, threads: threads.count, options: options,
            makeObjective: { estimation.objective(sigmaCurvature: sigmaCurvature) },
            finished: { p in
                count.value += 1
                if terminal {
                    FileHandle.standardError.write(Data("\rprofile: \(count.value)/\(total) parameters (\(p.id) done) ".utf8))
                }
            })
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let (profileText, intervalText) = Profiling.tables(profiles, space: space)
        let directory = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try profileText.write(to: directory.appendingPathComponent("profiles.tsv"), atomically: true, encoding: .utf8)
        try intervalText.write(to: directory.appendingPathComponent("intervals.tsv"), atomically: true, encoding: .utf8)
        let bestResult = StartResult(
            index: 0, x: best, value: -(profiles.first?.bestLLH ?? .nan), iterations: 0, evaluations: 0,
            seconds: 0, exit: .gradient)
        try writeFitReport(
            [bestResult], summary: nil, problem: estimation, profiles: profiles, best: best, solver: solver,
            to: directory.appendingPathComponent("report.html"))
        print(intervalText, terminator: "")
    }
}
