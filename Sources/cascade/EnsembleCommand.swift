import ArgumentParser
import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation

struct EnsembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Draw an ensemble of parameter sets consistent with a PEtab problem's data.",
        discussion: """
            A sample of the posterior under a flat prior on the estimated parameters' scales within \
            their bounds, by importance sampling from the Laplace approximation at BEST.tsv (a parameter \
            table, e.g. the parameters.tsv of `cascade fit`): CANDIDATES parameter sets are drawn from a \
            multivariate t (5 degrees of freedom) centred on the best values, scaled by the inverse \
            Fisher information there (plus 16/range² on each diagonal entry, so unconstrained directions \
            spread across their bounds) and truncated to the bounds; each gets its log-likelihood and an \
            importance weight; SIZE members are drawn from the weighted candidates by systematic \
            resampling. With --rounds 2 a second round proposes from the first round's \
            weighted mean and covariance (adaptive importance sampling) and the members come from it. \
            The same seed gives the same bytes whatever the number of threads.

            Writes OUTPUT (one row per member: member, candidate, llh, the estimated parameters on the \
            linear scale), beside it OUTPUT's name with .json (effective sample size, members within the \
            95% likelihood-ratio regions, each parameter's median and 2.5-97.5% range) and with \
            .candidates.tsv (every candidate with its llh and weight).

            Example:
              cascade ensemble models/calibration/ketamine_calibration.yaml \\
                  --parameters models/calibration/fit/parameters.tsv --size 50 --seed 1 \\
                  --output models/calibration/ensemble.tsv
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: ArgumentHelp("Parameter table with the best values (nominalValue column).", valueName: "file")) var parameters: String
    @Option(help: "Members written.") var size: Int = 100
    @Option(help: "Candidates drawn and evaluated; 4 × size when omitted.") var candidates: Int?
    @Option(help: "Seed of the draws.") var seed: UInt64 = 0
    @Option(help: "Scale of the proposal relative to the inverse Fisher information (or the previous round's covariance).") var inflation: Double = 1
    @Option(help: "Rounds of adaptive importance sampling, CANDIDATES each; later rounds propose from the weighted moments of the one before.") var rounds:
        Int = 1
    @Option(help: ArgumentHelp("The ensemble table to write (.tsv).", valueName: "file")) var output: String
    @OptionGroup(title: "Solver") var solverFlags: SolverFlags<FitSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive") }
        if let c = candidates, c < 2 { throw ValidationError("--candidates must be at least 2") }
        guard inflation > 0, inflation.isFinite else { throw ValidationError("--inflation must be positive") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        guard FileManager.default.fileExists(atPath: parameters) else { throw Failure("\(parameters): no such file") }
        let base = output.hasSuffix(".tsv") ? String(output.dropLast(4)) : output
        let summaryPath = base + ".json", candidatesPath = base + ".candidates.tsv"
        try checkOutputs(output, summaryPath, candidatesPath)
        let solver = solverFlags.options()
        let estimation = try EstimationProblem(contentsOf: url, options: solver)
        let best = try Profiling.readValues(URL(fileURLWithPath: parameters), space: estimation.space)
        var settings = EnsembleSettings()
        settings.size = size
        settings.candidates = candidates ?? 4 * size
        settings.seed = seed
        settings.threads = threads.count
        settings.inflation = inflation
        settings.rounds = rounds
        let terminal = isatty(2) != 0
        let started = Date()
        let outcome = try EnsembleSampling.run(
            space: estimation.space, best: best, settings: settings, makeObjective: { estimation.objective() },
            progress: { done, total in
                guard terminal else { return }
                FileHandle.standardError.write(
                    Data(String(format: "\rensemble: %d/%d candidates, %.1f s ", done, total, Date().timeIntervalSince(started)).utf8))
            })
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let summary = EnsembleSampling.summary(outcome, problem: problem)
        try writeOutput(EnsembleSampling.table(outcome), to: output)
        try writeOutput(EnsembleSampling.candidateTable(outcome), to: candidatesPath)
        try writeOutput(try EnsembleSampling.json(summary), to: summaryPath)
        print(
            String(
                format:
                    "ensemble: %d members (%d distinct) from %d candidates, effective sample size %.1f, %d of %d within the joint 95%% region (llh ≥ %.3f), %.1f s",
                summary.size, summary.distinct_members, summary.candidates, summary.effective_sample_size,
                summary.members_in_joint_region, summary.size, summary.best_llh - summary.joint_threshold, summary.seconds))
    }
}
