import CascadeFormats
import CascadeSolver
import Foundation

/// Settings of a Markov chain Monte Carlo sample of a PEtab problem's posterior.
public struct SamplerSettings: Sendable, Hashable {
    public enum Method: String, Sendable, CaseIterable {
        case adaptiveMetropolis = "adaptive-metropolis"
        case parallelTempering = "parallel-tempering"
    }

    public var method = Method.adaptiveMetropolis
    public var chains = 4
    /// Iterations of each chain (after its start).
    public var samples = 10_000
    /// Every `thin`-th iteration is kept.
    public var thin = 1
    /// Iterations discarded at the start of every chain; nil: the largest sequential Geweke
    /// burn-in of the chains.
    public var burnIn: Int?
    /// Iterations during which the proposal (and the temperatures) adapt; afterwards the chain is
    /// an ordinary Metropolis chain. nil: the burn-in when given, else a fifth of the samples.
    public var adaptation: Int?
    public var seed: UInt64 = 0
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Adaptive Metropolis (pyPESTO's defaults): the rate of adaptation decays as n^−decay.
    public var decay = 0.51
    /// The running mean and covariance take each draw with weight (n + 1)^−covarianceDecay: 1
    /// is the plain average of all draws so far (Haario et al. 2001); pyPESTO uses 0.51.
    public var covarianceDecay = 1.0
    public var targetAcceptance = 0.234
    public var regularization = 1e-6
    /// Spread of the starts around the best parameters, in units of the Laplace approximation's
    /// standard deviations (overdispersed when above 1).
    public var startSpread = 2.0
    /// Parallel tempering: replicas per chain (inverse temperatures from 1 down), the hottest
    /// temperature, and whether the temperatures adapt (Vousden et al. 2016).
    public var temperatures = 4
    public var maxTemperature = 5e4
    public var adaptTemperatures = true
    public init() {}

    /// The iterations of adaptation in effect.
    public var adaptationIterations: Int { min(samples, max(0, adaptation ?? burnIn ?? samples / 5)) }
}

/// One kept draw of a chain (β = 1 replica): the iteration it was kept at, its coordinates on
/// the parameters' scales, log-likelihood, and whether the step that produced it was accepted.
public struct ChainDraw: Sendable, Hashable {
    public var iteration: Int
    public var x: [Double]
    public var llh: Double
    public var accepted: Bool
}

/// One chain's run.
public struct ChainRun: Sendable {
    public var draws: [ChainDraw]
    public var start: [Double]
    public var startLLH: Double
    /// Proposals of the β = 1 replica and how many were accepted.
    public var proposals = 0
    public var accepted = 0
    /// Proposals (all replicas) whose simulation failed, and proposals outside the bounds: both
    /// rejected (log-posterior −∞).
    public var failedSimulations = 0
    public var outOfBounds = 0
    /// Likelihood evaluations (all replicas, the start included).
    public var evaluations = 0
    /// Final proposal scale factor of the β = 1 replica (relative to its adapted covariance).
    public var finalScale = 1.0
    /// Parallel tempering: final inverse temperatures and each adjacent pair's swap acceptance.
    public var betas: [Double] = []
    public var swapAcceptance: [Double] = []
}

/// The outcome of `PosteriorSampling.run`.
public struct SamplerOutcome: Sendable {
    public var space: ParameterSpace
    public var settings: SamplerSettings
    public var best: [Double]
    public var bestLLH: Double
    public var chains: [ChainRun]
    /// Iterations discarded at the start of each chain, and whether they came from the Geweke test.
    public var burnIn: Int
    public var burnInFromGeweke: Bool
    /// Each chain's sequential Geweke burn-in (nil: no fragment passed).
    public var gewekeBurnIn: [Int?]
    public var seconds: Double

    /// Kept draws after the burn-in, per chain (equally many: the shortest count).
    public var postBurnIn: [[ChainDraw]] {
        let kept = chains.map { $0.draws.filter { $0.iteration > burnIn } }
        let n = kept.map(\.count).min() ?? 0
        return kept.map { Array($0.prefix(n)) }
    }
}

/// A Markov chain Monte Carlo sample of a PEtab problem's posterior: likelihood × a flat prior on
/// the estimated parameters' scales within their bounds (as `EnsembleSampling`'s).
///
/// Adaptive Metropolis (Haario, Saksman & Tamminen 2001, with the scale rule of pyPESTO's
/// `AdaptiveMetropolisSampler`): a Gaussian random walk on the parameters' scales whose covariance
/// is the chain's running covariance (the plain average of the draws so far, as Haario et al.;
/// pyPESTO weights draw n by (n + 1)^−0.51, `covarianceDecay`) times a scale factor adapted towards
/// 23.4% acceptance (multiplied by exp((α − 0.234)/(n + 1)^0.51)), regularised (diagonal jitter
/// until Cholesky succeeds). The initial covariance is the Laplace approximation at the best
/// parameters (inverse Fisher information plus 16/range² on the diagonal, as the ensemble's
/// proposal, counted as the first draws' covariance) times 2.38²/d (Roberts & Rosenthal's optimal
/// scale). Unlike pyPESTO, the adaptation stops after `adaptation` iterations (the burn-in when
/// given, else a fifth of the samples; the automatic burn-in is never shorter): from there on each
/// chain is an ordinary Metropolis chain whose stationary distribution is exactly the posterior,
/// instead of an adaptive one that reaches it only as the adaptation vanishes.
///
/// Parallel tempering: each chain runs `temperatures` adaptive Metropolis replicas at inverse
/// temperatures β (the likelihood tempered, the prior not), starting from pyPESTO's
/// near-exponential ladder up to `maxTemperature`; after each sweep, neighbours from the hottest
/// down propose to swap states (accepted with probability min(1, exp((βᵢ − βᵢ₊₁)(llhᵢ₊₁ − llhᵢ))));
/// with `adaptTemperatures` the gaps between temperatures adapt so that swap rates equalise
/// (Vousden, Farr & Mandel 2016, with pyPESTO's constants ν = 1000, η = 100). Only the β = 1
/// replica is kept.
///
/// A proposal outside the bounds is rejected without a simulation (the prior is zero there), as in
/// pyPESTO. Folding it back into the box instead would not leave the proposal symmetric when its
/// covariance correlates a coordinate folded with one that is not, and would bias the sample.
///
/// Chains start from the best parameters perturbed by `startSpread` Laplace standard deviations
/// (reflected into the bounds; redrawn when the simulation fails) or from given starts. Each
/// chain has its own SplitMix64 stream, seeded from `seed` and the chain's index, and runs on one
/// thread: the same seed gives the same draws whatever the number of threads.
public enum PosteriorSampling {
    /// Log density of the flat prior on the scaled box: −Σ log(range).
    public static func logPrior(_ space: ParameterSpace) -> Double {
        -(0 ..< space.dimension).reduce(0) { $0 + Foundation.log(space.upper[$1] - space.lower[$1]) }
    }

    /// The seed of chain `k`'s stream (distinct, non-overlapping SplitMix64 states).
    static func chainSeed(_ seed: UInt64, _ k: Int) -> UInt64 {
        var g = SplitMix64(seed: seed ^ 0x00C4_A115_EED5)
        for _ in 0 ..< k { _ = g.next() }
        return g.next()
    }

    /// `v` folded into [lo, hi].
    static func reflect(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        let w = hi - lo
        guard v < lo || v > hi, w > 0 else { return v }
        var r = (v - lo).truncatingRemainder(dividingBy: 2 * w)
        if r < 0 { r += 2 * w }
        return min(hi, max(lo, r <= w ? lo + r : lo + 2 * w - r))
    }

    /// One adaptive Metropolis replica.
    struct Replica {
        var x: [Double]
        var llh: Double
        var mean: [Double]
        var cov: [Double]
        var scale: Double
        var chol: [Double]
        var proposals = 0
        var accepted = 0
    }

    /// Lower Cholesky factor of `scale · cov`, with diagonal jitter added until it exists.
    static func factor(_ cov: [Double], scale: Double, n: Int, regularization: Double) -> [Double]? {
        var a = cov.map { $0 * scale }
        if let l = EnsembleSampling.cholesky(a, n: n) { return l }
        let meanDiagonal = max((0 ..< n).reduce(0) { $0 + abs(a[$1 * n + $1]) } / Double(n), 1e-300)
        var jitter = regularization * meanDiagonal
        for _ in 0 ..< 40 {
            for i in 0 ..< n { a[i * n + i] += jitter }
            if let l = EnsembleSampling.cholesky(a, n: n) { return l }
            jitter *= 10
        }
        return nil
    }

    /// Runs the sampler from the best parameters `best` (scaled). `starts`, when given, are
    /// scaled starting points (chain k takes starts[k mod count]). `progress` is called now and
    /// then with the iterations done over all chains.
    public static func run(
        space: ParameterSpace, best: [Double], settings: SamplerSettings, starts: [[Double]]? = nil,
        makeObjective: @escaping @Sendable () throws -> Objective,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> SamplerOutcome {
        let clock = Date()
        let n = space.dimension
        guard settings.chains >= 1, settings.samples >= 1, settings.thin >= 1 else {
            throw PEtabError(file: "sample", "chains, samples and thin must be at least 1")
        }
        let objective = try makeObjective()
        let atBest = objective.evaluate(best, derivatives: true)
        guard atBest.value.isFinite else { throw PEtabError(file: "sample", "the likelihood cannot be evaluated at the best parameters") }
        let laplace = try EnsembleSampling.proposal(space: space, best: best, curvature: atBest.hessian, inflation: 1)
        // L·Lᵀ: the covariance the chains' first draws count as (the factor is what the proposal keeps).
        let laplaceCov = (0 ..< n * n).map { ij in
            let (i, j) = (ij / n, ij % n)
            return (0 ... min(i, j)).reduce(0.0) { $0 + laplace.cholesky[i * n + $1] * laplace.cholesky[j * n + $1] }
        }
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var done = 0
        }
        let counter = Counter()
        let total = settings.chains * settings.samples
        let clampedBest = (0 ..< n).map { min(space.upper[$0], max(space.lower[$0], best[$0])) }
        let results = ParallelRunner(threads: settings.threads).run(
            count: settings.chains, worker: makeObjective
        ) { (objective: inout Objective, k: Int) throws -> ChainRun in
            try runChain(
                k, space: space, best: clampedBest, laplaceCholesky: laplace.cholesky, laplaceCov: laplaceCov, settings: settings,
                start: starts.flatMap { $0.isEmpty ? nil : $0[k % $0.count] }, objective: objective,
                tick: { steps in
                    guard let progress else { return }
                    counter.lock.lock()
                    counter.done += steps
                    let d = counter.done
                    counter.lock.unlock()
                    progress(d, total)
                })
        }
        var chains: [ChainRun] = []
        for (k, r) in results.enumerated() {
            switch r {
            case .success(let c): chains.append(c)
            case .failure(let e): throw PEtabError(file: "sample", "chain \(k): \(e)")
            }
        }
        let geweke = chains.map { c in ChainDiagnostics.gewekeBurnIn(c.draws.map(\.x)).map { c.draws[$0].iteration - 1 } }
        let burnIn: Int
        if let b = settings.burnIn {
            burnIn = b
        } else if geweke.allSatisfy({ $0 != nil }) {
            burnIn = max(settings.adaptationIterations, geweke.compactMap { $0 }.max() ?? 0)
        } else {
            // Some chain has not settled: keep its second half, and say so.
            burnIn = min(settings.samples - 1, max(settings.adaptationIterations, settings.samples / 2))
        }
        return SamplerOutcome(
            space: space, settings: settings, best: best, bestLLH: -atBest.value, chains: chains, burnIn: burnIn,
            burnInFromGeweke: settings.burnIn == nil && geweke.allSatisfy { $0 != nil }, gewekeBurnIn: geweke,
            seconds: Date().timeIntervalSince(clock))
    }

    /// Inverse temperatures of pyPESTO's near-exponential ladder: Tᵢ = (1 + i·(T_max^¼ − 1)/(M − 1))⁴.
    public static func ladder(count: Int, maxTemperature: Double) -> [Double] {
        guard count > 1 else { return [1] }
        let top = Foundation.pow(maxTemperature, 0.25)
        return (0 ..< count).map { 1 / Foundation.pow(1 + Double($0) * (top - 1) / Double(count - 1), 4) }
    }

    static func runChain(
        _ k: Int, space: ParameterSpace, best: [Double], laplaceCholesky: [Double], laplaceCov: [Double], settings: SamplerSettings,
        start given: [Double]?, objective: Objective, tick: (Int) -> Void
    ) throws -> ChainRun {
        let n = space.dimension
        var rng = SplitMix64(seed: chainSeed(settings.seed, k))
        var run = ChainRun(draws: [], start: [], startLLH: -.infinity)
        func evaluate(_ x: [Double]) -> Double {
            run.evaluations += 1
            let v = objective.evaluate(x, derivatives: false).value
            return v.isFinite ? -v : -.infinity
        }
        // The start: given, or the best parameters perturbed (reflected into the bounds).
        var start = best, startLLH = -Double.infinity
        if let given {
            start = (0 ..< n).map { min(space.upper[$0], max(space.lower[$0], given[$0])) }
            startLLH = evaluate(start)
            guard startLLH.isFinite else { throw PEtabError(file: "sample", "the simulation fails at the given start") }
        } else {
            for _ in 0 ..< 100 {
                let step = EnsembleSampling.lowerTimes(laplaceCholesky, (0 ..< n).map { _ in EnsembleSampling.gaussian(&rng) })
                for i in 0 ..< n { start[i] = reflect(best[i] + settings.startSpread * step[i], space.lower[i], space.upper[i]) }
                startLLH = evaluate(start)
                if startLLH.isFinite { break }
                run.failedSimulations += 1
            }
            guard startLLH.isFinite else { throw PEtabError(file: "sample", "100 perturbed starts in a row failed to simulate") }
        }
        run.start = start
        run.startLLH = startLLH
        let initialScale = 2.38 * 2.38 / Double(n)
        let m = settings.method == .parallelTempering ? max(1, settings.temperatures) : 1
        var betas = settings.method == .parallelTempering ? ladder(count: m, maxTemperature: settings.maxTemperature) : [1]
        guard let l0 = factor(laplaceCov, scale: initialScale, n: n, regularization: settings.regularization) else {
            throw PEtabError(file: "sample", "the initial proposal covariance is not positive definite")
        }
        var replicas = (0 ..< m).map { _ in
            Replica(x: start, llh: startLLH, mean: start, cov: laplaceCov, scale: initialScale, chol: l0)
        }
        var swapTried = [Int](repeating: 0, count: max(0, m - 1)), swapDone = [Int](repeating: 0, count: max(0, m - 1))
        var stepsSinceTick = 0
        run.draws.reserveCapacity(settings.samples / settings.thin + 1)
        let adaptationEnd = settings.adaptationIterations
        for iteration in 1 ... settings.samples {
            var acceptedNow = false
            let adapting = iteration <= adaptationEnd
            for r in 0 ..< m {
                var rep = replicas[r]
                let step = EnsembleSampling.lowerTimes(rep.chol, (0 ..< n).map { _ in EnsembleSampling.gaussian(&rng) })
                let u = rng.unit()
                let y = (0 ..< n).map { rep.x[$0] + step[$0] }
                let inside = (0 ..< n).allSatisfy { y[$0] >= space.lower[$0] && y[$0] <= space.upper[$0] }
                var logAccept = -Double.infinity
                var llhNew = -Double.infinity
                if inside {
                    llhNew = evaluate(y)
                    if llhNew.isFinite { logAccept = min(0, betas[r] * (llhNew - rep.llh)) } else { run.failedSimulations += 1 }
                } else {
                    run.outOfBounds += 1
                }
                rep.proposals += 1
                if u > 0, Foundation.log(u) < logAccept {
                    rep.x = y
                    rep.llh = llhNew
                    rep.accepted += 1
                    if r == 0 { acceptedNow = true }
                }
                // Adaptation (pyPESTO's update_history_statistics and scale rule; the sample
                // count there includes the start), during the adaptation iterations only.
                guard adapting else {
                    replicas[r] = rep
                    continue
                }
                let count = Double(rep.proposals + 2)
                let rate = Foundation.pow(count, -settings.covarianceDecay)
                for i in 0 ..< n { rep.mean[i] = (1 - rate) * rep.mean[i] + rate * rep.x[i] }
                for i in 0 ..< n {
                    let di = rep.x[i] - rep.mean[i]
                    for j in 0 ..< n { rep.cov[i * n + j] = (1 - rate) * rep.cov[i * n + j] + rate * di * (rep.x[j] - rep.mean[j]) }
                }
                let acceptance = logAccept.isFinite ? Foundation.exp(logAccept) : 0
                rep.scale *= Foundation.exp((acceptance - settings.targetAcceptance) / Foundation.pow(count, settings.decay))
                if let l = factor(rep.cov, scale: rep.scale, n: n, regularization: settings.regularization) { rep.chol = l }
                replicas[r] = rep
            }
            if m > 1 {
                // Swaps from the hottest pair down (pyPESTO's order), then the temperature update.
                var swapped = [Double](repeating: 0, count: m - 1)
                for p in stride(from: m - 2, through: 0, by: -1) {
                    let u = rng.unit()
                    let logSwap = (betas[p] - betas[p + 1]) * (replicas[p + 1].llh - replicas[p].llh)
                    swapTried[p] += 1
                    if u > 0, Foundation.log(u) < logSwap {
                        let (a, b) = (replicas[p], replicas[p + 1])
                        replicas[p].x = b.x
                        replicas[p].llh = b.llh
                        replicas[p + 1].x = a.x
                        replicas[p + 1].llh = a.llh
                        swapDone[p] += 1
                        swapped[p] = 1
                    }
                }
                if settings.adaptTemperatures && m > 2 && adapting {
                    let kappa = 1000 / (Double(iteration) + 1000) / 100
                    var temps = betas.map { 1 / $0 }
                    var gaps = (0 ..< (m - 2)).map { temps[$0 + 1] - temps[$0] }
                    for i in 0 ..< (m - 2) { gaps[i] *= Foundation.exp(kappa * (swapped[i] - swapped[i + 1])) }
                    for i in 0 ..< (m - 2) { temps[i + 1] = temps[i] + gaps[i] }
                    // The hottest stays where it is, unless the others have passed it.
                    if temps[m - 2] >= temps[m - 1] { temps[m - 1] = temps[m - 2] * 2 }
                    betas = temps.map { 1 / $0 }
                }
            }
            if iteration % settings.thin == 0 {
                run.draws.append(ChainDraw(iteration: iteration, x: replicas[0].x, llh: replicas[0].llh, accepted: acceptedNow))
            }
            stepsSinceTick += 1
            if stepsSinceTick == 50 || iteration == settings.samples {
                tick(stepsSinceTick)
                stepsSinceTick = 0
            }
        }
        run.proposals = replicas[0].proposals
        run.accepted = replicas[0].accepted
        run.finalScale = replicas[0].scale
        run.betas = m > 1 ? betas : []
        run.swapAcceptance = zip(swapDone, swapTried).map { $1 > 0 ? Double($0) / Double($1) : 0 }
        return run
    }

    // MARK: - Files

    /// chain.tsv: every kept draw: chain, iteration, llh, log posterior, accepted (1/0), then the
    /// estimated parameters on the linear scale.
    public static func chainTable(_ o: SamplerOutcome) -> String {
        let prior = logPrior(o.space)
        var lines = [(["chain", "iteration", "llh", "logPosterior", "accepted"] + o.space.ids).joined(separator: "\t")]
        for (k, c) in o.chains.enumerated() {
            for d in c.draws {
                let fields = [String(k), String(d.iteration), FitFiles.number(d.llh), FitFiles.number(d.llh + prior), d.accepted ? "1" : "0"]
                lines.append((fields + o.space.linear(d.x).map(FitFiles.number)).joined(separator: "\t"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The ensemble's members: `size` draws after the burn-in, evenly spaced over the chains one
    /// after the other (each chain gives an equal share), as (row of chain.tsv, draw).
    public static func ensembleMembers(_ o: SamplerOutcome, size: Int) -> [(row: Int, draw: ChainDraw)] {
        let post = o.postBurnIn
        let per = post.first?.count ?? 0
        guard per > 0, size > 0 else { return [] }
        // Data row in chain.tsv of each chain's first draw after the burn-in.
        var firstRow: [Int] = []
        var at = 0
        for c in o.chains {
            firstRow.append(at + (c.draws.firstIndex { $0.iteration > o.burnIn } ?? c.draws.count))
            at += c.draws.count
        }
        let pooled = post.enumerated().flatMap { k, draws in draws.enumerated().map { j, d in (row: firstRow[k] + j, draw: d) } }
        return (0 ..< size).map { j in pooled[min(pooled.count - 1, Int((Double(j) + 0.5) * Double(pooled.count) / Double(size)))] }
    }

    /// The ensemble table, in `cascade ensemble`'s format: member, candidate (the draw's data row
    /// in chain.tsv, from 0), llh, then the estimated parameters on the linear scale.
    public static func ensembleTable(_ o: SamplerOutcome, size: Int) -> String {
        var lines = [(["member", "candidate", "llh"] + o.space.ids).joined(separator: "\t")]
        for (m, e) in ensembleMembers(o, size: size).enumerated() {
            lines.append(([String(m), String(e.row), FitFiles.number(e.draw.llh)] + o.space.linear(e.draw.x).map(FitFiles.number)).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads starting points (scaled) from a table with a column per estimated parameter (linear
    /// values), e.g. an ensemble table; distinct rows in order of appearance.
    public static func readStarts(_ url: URL, space: ParameterSpace) throws -> [[Double]] {
        let table = try PEtabTable(contentsOf: url)
        try table.require(space.ids)
        var out: [[Double]] = []
        var seen = Set<[Double]>()
        for r in 0 ..< table.rowCount {
            let x = try space.ids.enumerated().map { k, id -> Double in
                let text = table[r, id] ?? ""
                guard let v = PEtabNumber.parse(text), v.isFinite else { throw table.error(row: r, column: id, "'\(text)' is not a number") }
                guard v >= ParameterSpace.fromScale(space.lower[k], space.scales[k]) * (1 - 1e-12),
                    v <= ParameterSpace.fromScale(space.upper[k], space.scales[k]) * (1 + 1e-12)
                else { throw table.error(row: r, column: id, "\(id) = \(v) lies outside its bounds") }
                return ParameterSpace.toScale(v, space.scales[k])
            }
            if seen.insert(x).inserted { out.append(x) }
        }
        guard !out.isEmpty else { throw PEtabError(file: table.file, "no starting point: the table has no rows") }
        return out
    }

    // MARK: - Summary

    public struct ParameterSummary: Codable, Sendable, Equatable {
        public var id: String
        public var best: Double
        /// Posterior median and 2.5% / 97.5% quantiles (linear scale), after the burn-in.
        public var median: Double
        public var q025: Double
        public var q975: Double
        /// Mean and standard deviation on the parameter's scale.
        public var mean_on_scale: Double
        public var sd_on_scale: Double
        /// Rank-normalised split R̂ and bulk effective sample size (null when undefined, e.g. a
        /// chain that never moved).
        public var rhat: Double?
        public var ess_bulk: Double?
    }

    public struct ChainSummary: Codable, Sendable, Equatable {
        public var chain: Int
        public var start_llh: Double
        public var acceptance_rate: Double
        public var failed_simulations: Int
        public var out_of_bounds: Int
        public var evaluations: Int
        /// The chain's sequential Geweke burn-in in iterations (null: no fragment passed).
        public var geweke_burn_in: Int?
        public var final_proposal_scale: Double
        public var inverse_temperatures: [Double]?
        public var swap_acceptance: [Double]?
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var problem: String
        public var method: String
        public var chains: Int
        public var samples: Int
        public var thin: Int
        public var burn_in: Int
        /// "geweke" (the largest per-chain sequential Geweke burn-in), "given", or "half" (some
        /// chain failed the Geweke test: its second half is kept).
        public var burn_in_source: String
        public var draws_after_burn_in: Int
        public var seed: UInt64
        public var prior: String
        public var best_llh: Double
        public var max_llh: Double
        public var max_rhat: Double?
        public var min_ess_bulk: Double?
        /// max R̂ < 1.01 and min bulk ESS ≥ 100 per chain (Vehtari et al. 2021).
        public var converged: Bool
        public var convergence_rule: String
        public var evaluations: Int
        public var failed_simulations: Int
        public var seconds: Double
        public var chain_details: [ChainSummary]
        public var parameters: [ParameterSummary]
        public var ensemble_size: Int
    }

    public static func summary(_ o: SamplerOutcome, problem: String, ensembleSize: Int) -> Summary {
        let n = o.space.dimension
        let post = o.postBurnIn
        let bestLinear = o.space.linear(o.best)
        let params = (0 ..< n).map { i -> ParameterSummary in
            let columns = post.map { $0.map { $0.x[i] } }
            let flat = columns.flatMap { $0 }
            let sorted = flat.sorted()
            let linear = sorted.map { ParameterSpace.fromScale($0, o.space.scales[i]) }
            let mu = flat.isEmpty ? 0 : flat.reduce(0, +) / Double(flat.count)
            let sd = flat.count > 1 ? (flat.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(flat.count - 1)).squareRoot() : 0
            func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
            return ParameterSummary(
                id: o.space.ids[i], best: bestLinear[i], median: linear.isEmpty ? bestLinear[i] : ChainDiagnostics.quantile(linear, 0.5),
                q025: linear.isEmpty ? bestLinear[i] : ChainDiagnostics.quantile(linear, 0.025),
                q975: linear.isEmpty ? bestLinear[i] : ChainDiagnostics.quantile(linear, 0.975), mean_on_scale: mu, sd_on_scale: sd,
                rhat: finite(ChainDiagnostics.rankNormalizedRhat(columns)), ess_bulk: finite(ChainDiagnostics.bulkESS(columns)))
        }
        let maxRhat = params.compactMap(\.rhat).max()
        let minESS = params.compactMap(\.ess_bulk).min()
        let undefined = params.contains { $0.rhat == nil || $0.ess_bulk == nil }
        let chainDetails = o.chains.enumerated().map { k, c in
            ChainSummary(
                chain: k, start_llh: c.startLLH, acceptance_rate: c.proposals > 0 ? Double(c.accepted) / Double(c.proposals) : 0,
                failed_simulations: c.failedSimulations, out_of_bounds: c.outOfBounds, evaluations: c.evaluations, geweke_burn_in: o.gewekeBurnIn[k],
                final_proposal_scale: c.finalScale, inverse_temperatures: c.betas.isEmpty ? nil : c.betas,
                swap_acceptance: c.swapAcceptance.isEmpty ? nil : c.swapAcceptance)
        }
        let converged = !undefined && o.chains.count > 1 && (maxRhat ?? .infinity) < 1.01 && (minESS ?? 0) >= 100 * Double(o.chains.count)
        let allLLH = o.chains.flatMap { $0.draws.map(\.llh) }.filter(\.isFinite)
        return Summary(
            problem: problem, method: o.settings.method.rawValue, chains: o.chains.count,
            samples: o.settings.samples, thin: o.settings.thin, burn_in: o.burnIn,
            burn_in_source: o.settings.burnIn != nil ? "given" : o.burnInFromGeweke ? "geweke" : "half",
            draws_after_burn_in: post.reduce(0) { $0 + $1.count }, seed: o.settings.seed,
            prior: "flat on each parameter's scale within its bounds (log density \(FitFiles.number(logPrior(o.space))))", best_llh: o.bestLLH,
            max_llh: allLLH.max() ?? -.greatestFiniteMagnitude, max_rhat: maxRhat, min_ess_bulk: minESS,
            converged: converged, convergence_rule: "max rank-normalised split R-hat < 1.01 and min bulk ESS >= 100 per chain (Vehtari et al. 2021)",
            evaluations: o.chains.reduce(0) { $0 + $1.evaluations }, failed_simulations: o.chains.reduce(0) { $0 + $1.failedSimulations },
            seconds: o.seconds, chain_details: chainDetails, parameters: params, ensemble_size: ensembleSize)
    }

    public static func json(_ s: Summary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(s), as: UTF8.self) + "\n"
    }

    /// The one-screen summary printed by `cascade sample`.
    public static func text(_ s: Summary) -> String {
        func f(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "-" }
        let width = max(9, s.parameters.map(\.id.count).max() ?? 0)
        var out = String(
            format: "%@: %d chains × %d iterations (thin %d), burn-in %d (%@), %d draws kept, %d evaluations, %d failed simulations, %.1f s\n",
            s.method, s.chains, s.samples, s.thin, s.burn_in, s.burn_in_source, s.draws_after_burn_in, s.evaluations, s.failed_simulations, s.seconds)
        out += "acceptance " + s.chain_details.map { String(format: "%.3f", $0.acceptance_rate) }.joined(separator: " ")
        out += "; Geweke burn-in " + s.chain_details.map { $0.geweke_burn_in.map(String.init) ?? "none" }.joined(separator: " ") + "\n"
        out += "parameter".padding(toLength: width, withPad: " ", startingAt: 0) + "        best      median        2.5%       97.5%   R-hat  ESS\n"
        for p in s.parameters {
            out += p.id.padding(toLength: width, withPad: " ", startingAt: 0)
            out += String(format: " %11.4g %11.4g %11.4g %11.4g", p.best, p.median, p.q025, p.q975)
            out += " " + f(p.rhat, "%7.3f") + " " + f(p.ess_bulk, "%4.0f") + "\n"
        }
        out += "max R-hat \(f(s.max_rhat, "%.3f")), min bulk ESS \(f(s.min_ess_bulk, "%.0f")): "
        out += s.converged ? "converged (\(s.convergence_rule))\n" : "NOT converged by the rule \(s.convergence_rule)\n"
        return out
    }
}
