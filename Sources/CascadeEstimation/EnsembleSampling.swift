import CascadeFormats
import CascadeSolver
import Foundation

/// Settings of an ensemble of parameter sets consistent with the data.
public struct EnsembleSettings: Sendable, Hashable {
    /// Members written (drawn with replacement from the weighted candidates).
    public var size = 100
    /// Candidate parameter sets drawn from the proposal and evaluated (one likelihood each).
    public var candidates = 400
    public var seed: UInt64 = 0
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Degrees of freedom of the multivariate t proposal (heavier tails than the Laplace normal,
    /// so that a posterior wider than the curvature at the optimum says is still covered).
    public var degreesOfFreedom = 5
    /// Scale of the proposal relative to the inverse curvature at the optimum.
    public var inflation = 1.0
    /// Rounds of sampling: round 1 proposes from the curvature at the optimum; each later round
    /// from the weighted mean and covariance of the round before (adaptive importance sampling),
    /// `candidates` each. The members come from the last round. Default 1: on the ketamine
    /// calibration problem a second round of 1000 lowered the effective sample size from 27 to
    /// 21, its covariance resting on the first round's ~25 effective draws.
    public var rounds = 1
    public init() {}
}

/// One evaluated candidate: scaled coordinates, llh, and log proposal density (up to a constant).
public struct EnsembleCandidate: Sendable, Hashable {
    public var x: [Double]
    public var llh: Double
    public var logProposal: Double
    /// Normalised importance weight (sums to 1 over the candidates).
    public var weight: Double
}

/// The outcome of `EnsembleSampling.run`.
public struct EnsembleOutcome: Sendable {
    public var space: ParameterSpace
    public var settings: EnsembleSettings
    public var best: [Double]
    public var bestLLH: Double
    public var candidates: [EnsembleCandidate]
    /// Candidate index of each member, in member order.
    public var members: [Int]
    /// Kish's effective sample size of the candidates' weights, (Σw)²/Σw².
    public var effectiveSize: Double
    /// Proposal standard deviation of each coordinate (on its scale), in the last round.
    public var proposalSD: [Double]
    /// Candidates whose simulation failed (weight 0).
    public var failures: Int
    public var seconds: Double

    /// Members' scaled coordinates.
    public var memberValues: [[Double]] { members.map { candidates[$0].x } }
}

/// An ensemble of parameter sets consistent with a PEtab problem's data: a sample of the
/// posterior under a flat prior on the parameters' scales within their bounds, by importance
/// sampling from the Laplace approximation at the best fit.
///
/// 1. The proposal is a multivariate t (ν = 5) centred on the best parameters, with the inverse
///    of the likelihood's curvature there as its scale matrix: the Gauss-Newton / Fisher matrix H
///    of −llh plus 16/range² on the diagonal, so that a direction the data do not constrain
///    (H ≈ 0) is proposed across its bounds (SD a quarter of the range) instead of without limit.
///    Draws outside the bounds are redrawn (the flat prior is zero there).
/// 2. Every candidate's llh is computed (one likelihood evaluation each, in parallel); its
///    importance weight is exp(llh − log q), normalised. Where the likelihood is Gaussian the
///    weights only correct the t's tails; where it is not (bounds, curved valleys, flat
///    directions) they correct the shape.
/// 3. Adaptation (`rounds`, default 1, i.e. none): the next round proposes from the same t with the
///    weighted mean and covariance of the round before (adaptive importance sampling, Cappé et
///    al. 2004), which follows a posterior that bounds cut or that is wider or narrower than the
///    curvature at the optimum says; the members come from the last round's candidates.
/// 4. `size` members are drawn from the weighted candidates by systematic resampling (one seeded
///    uniform): each member stands for an equal share of the posterior; a candidate of large
///    weight appears several times.
///
/// Why not a Markov chain (adaptive Metropolis): a chain needs thousands of sequential
/// likelihood evaluations, each seconds for a days-long model, and its result depends on a burn-in
/// and mixing that are hard to check; the candidates here are independent, evaluated in parallel,
/// the result is the same bytes for a seed whatever the number of threads, and the effective
/// sample size says how good the sample is. Why not "every profile or start point within the
/// threshold": those points lie on a few lines through the optimum, not spread over the region,
/// so shares of such a set are not shares of the plausible parameter sets.
///
/// The random numbers come from one SplitMix64 stream seeded with `seed`, drawn before any
/// evaluation: the candidates depend only on the seed, the settings and the best parameters.
public enum EnsembleSampling {
    /// The proposal: mean, lower Cholesky factor of the scale matrix, and each coordinate's SD.
    public static func proposal(space: ParameterSpace, best: [Double], curvature: [Double]?, inflation: Double) throws -> (
        mean: [Double], cholesky: [Double], sd: [Double]
    ) {
        let n = space.dimension
        var precision = [Double](repeating: 0, count: n * n)
        if let h = curvature, h.count == n * n, h.allSatisfy(\.isFinite) { precision = h }
        for i in 0 ..< n {
            let range = space.upper[i] - space.lower[i]
            precision[i * n + i] += 16 / (range * range)
        }
        // Symmetrise, then invert through the Cholesky factor of the precision.
        for i in 0 ..< n {
            for j in 0 ..< i { let m = 0.5 * (precision[i * n + j] + precision[j * n + i]); precision[i * n + j] = m; precision[j * n + i] = m }
        }
        guard let lp = cholesky(precision, n: n) else {
            throw PEtabError(file: "ensemble", "the curvature at the best parameters is not positive definite")
        }
        let inverse = inverseFromCholesky(lp, n: n)
        var scale = inverse.map { $0 * inflation * inflation }
        for i in 0 ..< n { for j in 0 ..< i { let m = 0.5 * (scale[i * n + j] + scale[j * n + i]); scale[i * n + j] = m; scale[j * n + i] = m } }
        guard let l = cholesky(scale, n: n) else {
            throw PEtabError(file: "ensemble", "the proposal's covariance is not positive definite")
        }
        return (best, l, (0 ..< n).map { scale[$0 * n + $0].squareRoot() })
    }

    /// Draws `count` candidates from the t proposal truncated to the bounds, with each one's log
    /// density up to a constant: −(ν + n)/2 · log(1 + δ²/ν), δ the Mahalanobis distance.
    public static func draw(
        count: Int, mean: [Double], cholesky l: [Double], lower: [Double], upper: [Double], nu: Int, seed: UInt64
    ) throws -> [(x: [Double], logProposal: Double)] {
        let n = mean.count
        var rng = SplitMix64(seed: seed)
        var out: [([Double], Double)] = []
        out.reserveCapacity(count)
        var attempts = 0
        while out.count < count {
            attempts += 1
            if attempts > 10_000 * max(count, 1) {
                throw PEtabError(
                    file: "ensemble",
                    "fewer than 1 in 10000 proposals fall within the bounds: the best parameters lie far outside the region the curvature allows")
            }
            let z = (0 ..< n).map { _ in gaussian(&rng) }
            var chi = 0.0
            for _ in 0 ..< nu { let g = gaussian(&rng); chi += g * g }
            let w = (Double(nu) / chi).squareRoot()
            let lz = lowerTimes(l, z)
            let x = (0 ..< n).map { mean[$0] + w * lz[$0] }
            guard (0 ..< n).allSatisfy({ x[$0] >= lower[$0] && x[$0] <= upper[$0] }) else { continue }
            let d2 = z.reduce(0) { $0 + $1 * $1 } * w * w
            out.append((x, -0.5 * Double(nu + n) * Foundation.log1p(d2 / Double(nu))))
        }
        return out
    }

    /// Runs the sampler from the best parameters `best` (scaled).
    public static func run(
        space: ParameterSpace, best: [Double], settings: EnsembleSettings,
        makeObjective: @escaping @Sendable () throws -> Objective,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> EnsembleOutcome {
        let clock = Date()
        let objective = try makeObjective()
        let atBest = objective.evaluate(best, derivatives: true)
        guard atBest.value.isFinite else { throw PEtabError(file: "ensemble", "the likelihood cannot be evaluated at the best parameters") }
        let (mean, l, sd) = try proposal(space: space, best: best, curvature: atBest.hessian, inflation: settings.inflation)
        final class Count: @unchecked Sendable { var value = 0 }
        let count = Count()
        let rounds = max(1, settings.rounds)
        let total = settings.candidates * rounds
        var (proposalMean, proposalL, proposalSD) = (mean, l, sd)
        var drawn: [(x: [Double], logProposal: Double)] = []
        var llh: [Double] = [], w: [Double] = []
        for round in 0 ..< rounds {
            if round > 0 {
                // The weighted moments of the previous round, a little regularised.
                let n = space.dimension
                var m = [Double](repeating: 0, count: n)
                for (k, c) in drawn.enumerated() { for i in 0 ..< n { m[i] += w[k] * c.x[i] } }
                var cov = [Double](repeating: 0, count: n * n)
                for (k, c) in drawn.enumerated() where w[k] > 0 {
                    for i in 0 ..< n { for j in 0 ..< n { cov[i * n + j] += w[k] * (c.x[i] - m[i]) * (c.x[j] - m[j]) } }
                }
                for i in 0 ..< n {
                    let range = space.upper[i] - space.lower[i]
                    cov[i * n + i] += 1e-6 * range * range
                }
                let scaled = cov.map { $0 * settings.inflation * settings.inflation }
                guard let lc = cholesky(scaled, n: n) else { break }
                (proposalMean, proposalL, proposalSD) = (m, lc, (0 ..< n).map { scaled[$0 * n + $0].squareRoot() })
            }
            let batch = try draw(
                count: settings.candidates, mean: proposalMean, cholesky: proposalL, lower: space.lower, upper: space.upper,
                nu: settings.degreesOfFreedom, seed: round == 0 ? settings.seed : settings.seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15)
            let results = ParallelRunner(threads: settings.threads).run(
                count: batch.count, worker: makeObjective,
                onResult: { (_, _: Result<Double, any Error>) in
                    count.value += 1
                    progress?(count.value, total)
                }
            ) { (objective: inout Objective, k: Int) -> Double in
                let v = objective.evaluate(batch[k].x, derivatives: false).value
                return v.isFinite ? -v : -.infinity
            }
            let batchLLH = results.map { (try? $0.get()) ?? -.infinity }
            let logW = zip(batchLLH, batch).map { $0 - $1.logProposal }
            let top = logW.filter(\.isFinite).max() ?? 0
            var bw = logW.map { $0.isFinite ? Foundation.exp($0 - top) : 0 }
            let sum = bw.reduce(0, +)
            guard sum > 0 else { throw PEtabError(file: "ensemble", "every candidate's simulation failed") }
            bw = bw.map { $0 / sum }
            (drawn, llh, w) = (batch, batchLLH, bw)
        }
        let ess = 1 / w.reduce(0) { $0 + $1 * $1 }
        let sd2 = proposalSD
        let candidates = (0 ..< drawn.count).map { k in
            EnsembleCandidate(x: drawn[k].x, llh: llh[k], logProposal: drawn[k].logProposal, weight: w[k])
        }
        var rng = SplitMix64(seed: settings.seed ^ 0x5EED_0F_5A4D_1E5)
        let members = systematicResample(weights: w, count: settings.size, uniform: rng.unit())
        return EnsembleOutcome(
            space: space, settings: settings, best: best, bestLLH: -atBest.value, candidates: candidates, members: members,
            effectiveSize: ess, proposalSD: sd2, failures: llh.filter { !$0.isFinite }.count,
            seconds: Date().timeIntervalSince(clock))
    }

    /// Systematic resampling: `count` indices, index i taken ⌊count·wᵢ⌋ or ⌈count·wᵢ⌉ times, with
    /// one uniform u ∈ [0, 1) placing the grid (u + k)/count on the cumulative weights.
    public static func systematicResample(weights: [Double], count: Int, uniform u: Double) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var cumulative = 0.0
        var i = 0
        for k in 0 ..< count {
            let target = (u + Double(k)) / Double(count)
            while i < weights.count - 1 && cumulative + weights[i] <= target {
                cumulative += weights[i]
                i += 1
            }
            out.append(i)
        }
        return out
    }

    // MARK: - Files

    /// ensemble.tsv: one row per member: member, candidate, llh, then the estimated parameters on
    /// the linear scale (as a fit's starts.tsv).
    public static func table(_ o: EnsembleOutcome) -> String {
        var lines = [(["member", "candidate", "llh"] + o.space.ids).joined(separator: "\t")]
        for (m, c) in o.members.enumerated() {
            let cand = o.candidates[c]
            lines.append(([String(m), String(c), FitFiles.number(cand.llh)] + o.space.linear(cand.x).map(FitFiles.number)).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Per-parameter summary of an ensemble (linear scale).
    public struct ParameterSummary: Codable, Sendable, Equatable {
        public var id: String
        public var best: Double
        public var median: Double
        public var q025: Double
        public var q975: Double
        public var proposal_sd_on_scale: Double
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var problem: String
        public var size: Int
        public var candidates: Int
        public var seed: UInt64
        public var degrees_of_freedom: Int
        /// Rounds of adaptive importance sampling (`candidates` per round; members from the last).
        public var rounds: Int
        public var inflation: Double
        public var best_llh: Double
        public var effective_sample_size: Double
        public var distinct_members: Int
        public var failed_candidates: Int
        /// Members with llh ≥ best − χ²(0.95, df = number of parameters)/2 (the simultaneous 95%
        /// likelihood-ratio region) and with llh ≥ best − χ²(0.95, 1)/2.
        public var members_in_joint_region: Int
        public var members_in_single_region: Int
        public var joint_threshold: Double
        public var seconds: Double
        public var parameters: [ParameterSummary]
    }

    public static func summary(_ o: EnsembleOutcome, problem: String) -> Summary {
        let n = o.space.dimension
        let joint = chiSquareQuantile(0.95, degreesOfFreedom: Double(n)) / 2
        let llhs = o.members.map { o.candidates[$0].llh }
        let values = o.memberValues.map { o.space.linear($0) }
        let bestLinear = o.space.linear(o.best)
        let params = (0 ..< n).map { i in
            let sorted = values.map { $0[i] }.sorted()
            return ParameterSummary(
                id: o.space.ids[i], best: bestLinear[i], median: quantile(sorted, 0.5), q025: quantile(sorted, 0.025),
                q975: quantile(sorted, 0.975), proposal_sd_on_scale: o.proposalSD[i])
        }
        return Summary(
            problem: problem, size: o.members.count, candidates: o.candidates.count, seed: o.settings.seed,
            degrees_of_freedom: o.settings.degreesOfFreedom, rounds: max(1, o.settings.rounds), inflation: o.settings.inflation, best_llh: o.bestLLH,
            effective_sample_size: o.effectiveSize, distinct_members: Set(o.members).count, failed_candidates: o.failures,
            members_in_joint_region: llhs.filter { $0 >= o.bestLLH - joint }.count,
            members_in_single_region: llhs.filter { $0 >= o.bestLLH - Profiling.threshold }.count,
            joint_threshold: joint, seconds: o.seconds, parameters: params)
    }

    public static func json(_ s: Summary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(s), as: UTF8.self) + "\n"
    }

    /// candidates.tsv: every candidate with its llh and normalised weight (for diagnostics).
    public static func candidateTable(_ o: EnsembleOutcome) -> String {
        var lines = [(["candidate", "llh", "weight"] + o.space.ids).joined(separator: "\t")]
        for (k, c) in o.candidates.enumerated() {
            lines.append(([String(k), FitFiles.number(c.llh), FitFiles.number(c.weight)] + o.space.linear(c.x).map(FitFiles.number)).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Numerics

    /// The q-quantile of sorted values, linear between order statistics.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// A standard normal deviate (Box-Muller, cosine branch, two uniforms per deviate).
    static func gaussian(_ rng: inout SplitMix64) -> Double {
        let u1 = 1 - rng.unit()
        let u2 = rng.unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Lower Cholesky factor (row-major) of a symmetric positive definite matrix, or nil.
    /// L·z for a lower-triangular `l` (row-major, n × n with n = z.count).
    static func lowerTimes(_ l: [Double], _ z: [Double]) -> [Double] {
        let n = z.count
        return (0 ..< n).map { i in
            var s = 0.0
            for j in 0 ... i { s += l[i * n + j] * z[j] }
            return s
        }
    }

    static func cholesky(_ a: [Double], n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ... i {
                var s = a[i * n + j]
                for k in 0 ..< j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        return l
    }

    /// A⁻¹ from the lower Cholesky factor L of A (A = LLᵀ), row-major.
    static func inverseFromCholesky(_ l: [Double], n: Int) -> [Double] {
        // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
        var li = [Double](repeating: 0, count: n * n)
        for c in 0 ..< n {
            for i in c ..< n {
                var s = i == c ? 1.0 : 0.0
                for k in c ..< i { s -= l[i * n + k] * li[k * n + c] }
                li[i * n + c] = s / l[i * n + i]
            }
        }
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ..< n {
                var s = 0.0
                for k in max(i, j) ..< n { s += li[k * n + i] * li[k * n + j] }
                inv[i * n + j] = s
            }
        }
        return inv
    }

    /// The regularised lower incomplete gamma function P(a, x) (series below a + 1, Lentz's
    /// continued fraction above).
    static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        let lnPrefix = -x + a * Foundation.log(x) - Foundation.lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, ap = a
            for _ in 0 ..< 1000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return sum * Foundation.exp(lnPrefix)
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1 ..< 1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return 1 - Foundation.exp(lnPrefix) * h
    }

    /// The p-quantile of the χ² distribution with `k` degrees of freedom (bisection on P(k/2, x/2)).
    public static func chiSquareQuantile(_ p: Double, degreesOfFreedom k: Double) -> Double {
        var lo = 0.0, hi = max(1.0, k)
        while regularizedGammaP(k / 2, hi / 2) < p { hi *= 2 }
        for _ in 0 ..< 200 {
            let mid = 0.5 * (lo + hi)
            if regularizedGammaP(k / 2, mid / 2) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * hi { break }
        }
        return 0.5 * (lo + hi)
    }
}
