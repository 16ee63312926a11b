import ArgumentParser
import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation

extension SamplerSettings.Method: ExpressibleByArgument {}

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample a PEtab problem's posterior by Markov chain Monte Carlo (adaptive Metropolis or parallel tempering).",
        discussion: """
            The posterior is the PEtab likelihood (the one `cascade likelihood`, `fit` and `ensemble` use) \
            times a flat prior on each estimated parameter's scale (log10, log or lin) within its bounds, \
            as `cascade ensemble` assumes. PEtab's objectivePriorType/objectivePriorParameters columns are \
            not read: a problem with them is sampled under the flat prior all the same.

            adaptive-metropolis (Haario et al. 2001, with the scale rule of pyPESTO's \
            AdaptiveMetropolisSampler): a Gaussian random walk on the parameters' scales whose covariance \
            is the average covariance of the chain's draws so far (pyPESTO weights recent draws more) \
            times a factor adapted towards 23.4% acceptance; it starts from the \
            Laplace approximation at BEST.tsv (inverse Fisher information plus 16/range² on the diagonal, \
            as `cascade ensemble`) times 2.38²/d. The proposal (and the temperatures) adapt for --adaptation \
            iterations (the burn-in when given, else a fifth of --samples), then stay fixed, so that the rest \
            of the chain is an ordinary Metropolis chain (pyPESTO adapts throughout). parallel-tempering: each chain runs TEMPERATURES adaptive \
            Metropolis replicas on a tempered likelihood (pyPESTO's near-exponential ladder up to 50000), \
            swaps neighbours after each sweep and adapts the temperatures (Vousden et al. 2016); only the \
            untempered replica is kept. A proposal outside the bounds is rejected without a simulation \
            (as in pyPESTO; folding it back would bias the sample when the proposal is correlated), and so \
            is a proposal whose simulation fails; both are counted.

            Chains start from BEST perturbed by 2 Laplace standard deviations (reflected into the bounds), \
            or from the distinct rows of --starts (e.g. an ensemble table). Each chain has its own seeded \
            random stream and runs on one thread: the same seed gives the same chain and ensemble tables, byte \
            for byte, whatever --threads (the JSON differs only in its timing).

            --burn-in auto (default) discards the adaptation iterations or, when longer, the largest \
            sequential Geweke burn-in of the chains (as pyPESTO's burn_in_by_sequential_geweke, on \
            mean-centred spectra with a Bonferroni threshold over the parameters); when a chain fails that \
            test, the first half. R-hat (rank-normalised split R-hat) and bulk ESS (Geyer's initial \
            monotone sequence) are computed per parameter on the draws after the burn-in; the sample is \
            called converged when max R-hat < 1.01 and min bulk ESS >= 100 per chain.

            Writes OUTPUT (every kept draw: chain, iteration, llh, logPosterior, accepted, the estimated \
            parameters on the linear scale), the ensemble table (--ensemble, OUTPUT's name with \
            .ensemble.tsv by default: ENSEMBLE-SIZE draws after the burn-in evenly spaced over the chains, \
            in `cascade ensemble`'s format, for `knockouts`, `scorecard` and `plan --ensemble`) and \
            OUTPUT's name with .json (diagnostics: per parameter median, 2.5-97.5%, R-hat, ESS; per chain \
            acceptance, failed simulations, Geweke burn-in). All are written whole or not at all.

            Example:
              cascade sample models/calibration/ketamine_calibration.yaml \\
                  --parameters models/calibration/fit/parameters.tsv \\
                  --chains 4 --samples 100000 --thin 10 --seed 1 \\
                  --rtol 1e-8 --atol 1e-12 --output chain.tsv
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: ArgumentHelp("Parameter table with the best values (nominalValue column).", valueName: "file")) var parameters: String
    @Option(help: ArgumentHelp("The chain table to write (.tsv).", valueName: "file")) var output: String
    @Option(help: "Sampler.") var method: SamplerSettings.Method = .adaptiveMetropolis
    @Option(help: "Independent chains, run in parallel.") var chains: Int = 4
    @Option(help: "Iterations of each chain.") var samples: Int = 10_000
    @Option(
        name: .customLong("burn-in"),
        help: ArgumentHelp("Iterations discarded at the start of each chain, or auto: the adaptation or the sequential Geweke burn-in.", valueName: "B|auto"))
    var burnIn: String = "auto"
    @Option(help: "Keep every T-th iteration.") var thin: Int = 1
    @Option(help: "Iterations during which the proposal adapts (then frozen); the burn-in when given, else a fifth of --samples.")
    var adaptation: Int?
    @Option(help: "Seed of the chains' random streams.") var seed: UInt64 = 0
    @Option(help: "Parallel tempering: replicas per chain, at different temperatures.") var temperatures: Int = 4
    @Option(name: .customLong("ensemble-size"), help: "Members of the ensemble table.") var ensembleSize: Int = 100
    @Option(help: ArgumentHelp("The ensemble table to write; OUTPUT's name with .ensemble.tsv when omitted.", valueName: "file")) var ensemble: String?
    @Option(help: ArgumentHelp("Starting points: a table with a column per estimated parameter (linear values), e.g. an ensemble table.", valueName: "file"))
    var starts: String?
    @OptionGroup(title: "Solver") var solverFlags: SolverFlags<FitSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    var burnInValue: Int? { burnIn == "auto" ? nil : Int(burnIn) }

    func validate() throws {
        guard chains >= 1 else { throw ValidationError("--chains must be at least 1, got \(chains)") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
        guard thin >= 1 else { throw ValidationError("--thin must be at least 1, got \(thin)") }
        guard ensembleSize >= 1 else { throw ValidationError("--ensemble-size must be at least 1, got \(ensembleSize)") }
        if let adaptation {
            guard adaptation >= 0 else { throw ValidationError("--adaptation must be at least 0, got \(adaptation)") }
            guard adaptation < samples else { throw ValidationError("--adaptation \(adaptation) leaves nothing of --samples \(samples)") }
        }
        guard temperatures >= 1 else { throw ValidationError("--temperatures must be at least 1, got \(temperatures)") }
        if burnIn != "auto" {
            guard let b = Int(burnIn), b >= 0 else { throw ValidationError("--burn-in must be auto or a number of iterations ≥ 0, got '\(burnIn)'") }
            guard b < samples else { throw ValidationError("--burn-in \(b) leaves nothing of --samples \(samples)") }
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        guard FileManager.default.fileExists(atPath: parameters) else { throw Failure("\(parameters): no such file") }
        if let starts { guard FileManager.default.fileExists(atPath: starts) else { throw Failure("\(starts): no such file") } }
        let base = output.hasSuffix(".tsv") ? String(output.dropLast(4)) : output
        let summaryPath = base + ".json", ensemblePath = ensemble ?? base + ".ensemble.tsv"
        try checkOutputs(output, summaryPath, ensemblePath)
        let estimation = try EstimationProblem(contentsOf: url, options: solverFlags.options())
        let best = try Profiling.readValues(URL(fileURLWithPath: parameters), space: estimation.space)
        let startPoints = try starts.map { try PosteriorSampling.readStarts(URL(fileURLWithPath: $0), space: estimation.space) }
        var settings = SamplerSettings()
        settings.method = method
        settings.chains = chains
        settings.samples = samples
        settings.thin = thin
        settings.burnIn = burnInValue
        settings.adaptation = adaptation
        settings.seed = seed
        settings.threads = threads.count
        settings.temperatures = temperatures
        let terminal = isatty(2) != 0
        let started = Date()
        let outcome = try PosteriorSampling.run(
            space: estimation.space, best: best, settings: settings, starts: startPoints, makeObjective: { estimation.objective() },
            progress: { done, total in
                guard terminal else { return }
                FileHandle.standardError.write(
                    Data(String(format: "\rsample: %d/%d iterations, %.1f s ", done, total, Date().timeIntervalSince(started)).utf8))
            })
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let summary = PosteriorSampling.summary(outcome, problem: problem, ensembleSize: ensembleSize)
        guard summary.draws_after_burn_in > 0 else {
            throw Failure("no draw is kept after the burn-in of \(summary.burn_in) iterations (--samples \(samples), --thin \(thin)): nothing written")
        }
        try writeOutput(PosteriorSampling.chainTable(outcome), to: output)
        try writeOutput(PosteriorSampling.ensembleTable(outcome, size: ensembleSize), to: ensemblePath)
        try writeOutput(try PosteriorSampling.json(summary), to: summaryPath)
        print(PosteriorSampling.text(summary), terminator: "")
        print("wrote \(output), \(ensemblePath), \(summaryPath)")
    }
}
