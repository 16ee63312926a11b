import Foundation

/// Convergence diagnostics of Markov chains, each a sequence of one scalar (a parameter on its
/// scale, say) per kept draw.
///
/// - R-hat: the rank-normalised split-R̂ of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021,
///   Bayesian Analysis 16:667): every chain is cut in two halves, the draws of all halves are
///   replaced by normal scores of their ranks, and R̂ is the larger of the classic split R̂
///   (Gelman et al., BDA3 §11.4) of these scores and of the scores of the draws folded about
///   the median. It is near 1 when the chains agree; values above 1.01 (strict) or 1.1 (lenient)
///   mean the chains have not mixed.
/// - Bulk ESS: the effective sample size of the rank-normalised split chains, from their
///   combined autocorrelation truncated by Geyer's (1992) initial monotone sequence (the
///   algorithm of Stan and ArviZ).
/// - Geweke burn-in: the sequential Geweke test as pyPESTO's `burn_in_by_sequential_geweke` runs it
///   (the chain cut at 20 fragments' starts; after each cut, z of the mean of the first 10% against
///   that of the last 50%, each with the spectral density at frequency zero from Welch's estimate,
///   Hann windows of a quarter of the draws overlapping by half; the burn-in is the first cut that
///   passes). Two deliberate differences: the spectral density is of the draws minus their mean
///   (pyPESTO's does not subtract it, which adds the squared mean to the density and makes |z|
///   small for any parameter far from zero), and a cut passes when every parameter's |z| is below
///   the Bonferroni threshold Φ⁻¹(1 − 0.05/(2p)) (pyPESTO divides its threshold 2 by up to 21,
///   which with centred spectra almost no stationary chain passes).
public enum ChainDiagnostics {
    // MARK: - R-hat and ESS

    /// Each chain cut into its first and second halves (the middle draw of an odd chain dropped).
    public static func split(_ chains: [[Double]]) -> [[Double]] {
        chains.flatMap { c -> [[Double]] in
            let h = c.count / 2
            return [Array(c[0 ..< h]), Array(c[(c.count - h)...])]
        }
    }

    /// Classic R̂ = √(var⁺/W) of equally long chains; nil when there are fewer than 2 chains, 4 draws
    /// each, or the chains are all constant.
    public static func rhat(_ chains: [[Double]]) -> Double? {
        let m = chains.count
        guard m >= 2, let n = chains.first?.count, n >= 4, chains.allSatisfy({ $0.count == n }) else { return nil }
        let means = chains.map { mean($0) }
        let vars = zip(chains, means).map { c, mu in c.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(n - 1) }
        let w = mean(vars)
        let grand = mean(means)
        let b = Double(n) * means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(m - 1)
        guard w > 0, w.isFinite else { return nil }
        let varPlus = Double(n - 1) / Double(n) * w + b / Double(n)
        return (varPlus / w).squareRoot()
    }

    /// Rank-normalised split R̂: the larger of R̂ of the normal scores of the split chains and of
    /// their draws folded about the median.
    public static func rankNormalizedRhat(_ chains: [[Double]]) -> Double? {
        let halves = split(chains)
        guard let bulk = rhat(normalScores(halves)) else { return nil }
        let all = halves.flatMap { $0 }.sorted()
        let med = quantile(all, 0.5)
        let folded = halves.map { $0.map { abs($0 - med) } }
        guard let tail = rhat(normalScores(folded)) else { return bulk }
        return max(bulk, tail)
    }

    /// Bulk effective sample size: ESS of the normal scores of the split chains.
    public static func bulkESS(_ chains: [[Double]]) -> Double? {
        effectiveSize(normalScores(split(chains)))
    }

    /// The effective sample size of equally long chains (Geyer's initial monotone sequence on the
    /// combined autocorrelation); nil when there are fewer than 4 draws per chain or no variance.
    public static func effectiveSize(_ chains: [[Double]]) -> Double? {
        let m = chains.count
        guard m >= 1, let n = chains.first?.count, n >= 4, chains.allSatisfy({ $0.count == n }) else { return nil }
        let means = chains.map { mean($0) }
        let centred = zip(chains, means).map { c, mu in c.map { $0 - mu } }
        // Autocovariance of every chain at lag t (divided by n), averaged over the chains.
        func acov(_ t: Int) -> Double {
            var total = 0.0
            for c in centred {
                var s = 0.0
                for i in 0 ..< (n - t) { s += c[i] * c[i + t] }
                total += s / Double(n)
            }
            return total / Double(m)
        }
        let acov0 = acov(0)
        let meanVar = acov0 * Double(n) / Double(n - 1)
        var varPlus = meanVar * Double(n - 1) / Double(n)
        if m > 1 {
            let grand = mean(means)
            varPlus += means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(m - 1)
        }
        guard varPlus > 0, varPlus.isFinite else { return nil }
        func rho(_ t: Int) -> Double { 1 - (meanVar - acov(t)) / varPlus }
        // r[t]: autocorrelation at lag t, kept while consecutive (even, odd) pairs sum above 0
        // (Geyer's initial positive sequence); the last pair is left out as a bias term.
        var r = [Double](repeating: 0, count: n + 1)
        var t = 0
        var even = 1.0, odd = rho(1)
        r[0] = even
        r[1] = odd
        while t < n - 5 && even + odd > 0 && (even + odd).isFinite {
            t += 2
            even = rho(t)
            odd = rho(t + 1)
            if even + odd >= 0 {
                r[t] = even
                r[t + 1] = odd
            }
        }
        let maxT = t
        if even > 0 { r[maxT + 1] = even }
        // Geyer's initial monotone sequence: pair sums never increase.
        var k = 1
        while k <= maxT - 3 {
            if r[k + 1] + r[k + 2] > r[k - 1] + r[k] {
                r[k + 1] = (r[k - 1] + r[k]) / 2
                r[k + 2] = r[k + 1]
            }
            k += 2
        }
        let total = Double(m * n)
        var tau = -1.0
        for i in 0 ..< maxT { tau += 2 * r[i] }
        tau += r[maxT + 1]
        return min(total / tau, total * Foundation.log10(total))
    }

    /// Normal scores Φ⁻¹((rank − 3/8)/(S + 1/4)) of all draws together (average ranks for ties),
    /// in the chains' shape.
    public static func normalScores(_ chains: [[Double]]) -> [[Double]] {
        let flat = chains.flatMap { $0 }
        let s = flat.count
        guard s > 0 else { return chains }
        let order = flat.indices.sorted { flat[$0] < flat[$1] || (flat[$0] == flat[$1] && $0 < $1) }
        var rank = [Double](repeating: 0, count: s)
        var i = 0
        while i < s {
            var j = i
            while j + 1 < s && flat[order[j + 1]] == flat[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i ... j { rank[order[k]] = average }
            i = j + 1
        }
        var out: [[Double]] = []
        var at = 0
        for c in chains {
            out.append((0 ..< c.count).map { normalQuantile((rank[at + $0] - 0.375) / (Double(s) + 0.25)) })
            at += c.count
        }
        return out
    }

    // MARK: - Geweke

    /// Spectral density at frequency zero of `x` minus its mean (Welch's estimate: Hann windows of
    /// ⌊n/4⌋ draws overlapping by half).
    static func spectrumAtZero(_ x: ArraySlice<Double>) -> Double {
        let n = x.count
        let nw = n / 4
        guard nw >= 2 else { return .nan }
        let mu = x.reduce(0, +) / Double(n)
        let w = (1 ... nw).map { 0.5 * (1 - Foundation.cos(2 * Double.pi * Double($0) / Double(nw + 1))) }
        let overlap = nw / 2
        let segments = (n - overlap) / (nw - overlap)
        let w2 = w.reduce(0) { $0 + $1 * $1 }
        var total = 0.0
        var start = x.startIndex
        for _ in 0 ..< segments {
            var s = 0.0
            for j in 0 ..< nw { s += w[j] * (x[start + j] - mu) }
            total += s * s
            start += nw - overlap
        }
        return total / (Double(segments) * w2)
    }

    /// Geweke's z of one parameter's draws: the mean of the first 10% against that of the last 50%.
    public static func gewekeZ(_ x: ArraySlice<Double>) -> Double? {
        let n = x.count
        let na = n / 10, nb = n / 2
        guard na >= 8 else { return nil }
        let a = x.prefix(na), b = x.suffix(nb)
        let ma = a.reduce(0, +) / Double(na), mb = b.reduce(0, +) / Double(nb)
        let sa = spectrumAtZero(a), sb = spectrumAtZero(b)
        let d = (sa / Double(na) + sb / Double(nb)).squareRoot()
        guard d > 0, d.isFinite else { return ma == mb ? 0 : nil }
        return (ma - mb) / d
    }

    /// The burn-in of one chain (draws × parameters, row-major by draw) by the sequential Geweke
    /// test: the chain is cut at 0, ⌊n/20⌋, 2⌊n/20⌋, ...; the burn-in is the first cut after which
    /// every parameter's Geweke |z| is below Φ⁻¹(1 − α/(2p)) (α = 0.05 shared by the p parameters,
    /// Bonferroni), or nil when no cut passes (the chain has not converged).
    public static func gewekeBurnIn(_ draws: [[Double]], alpha: Double = 0.05) -> Int? {
        let n = draws.count
        guard n >= 20, let p = draws.first?.count, p > 0 else { return nil }
        let step = n / 20
        let threshold = normalQuantile(1 - alpha / (2 * Double(p)))
        let columns = (0 ..< p).map { j in draws.map { $0[j] } }
        for s in stride(from: 0, to: n - 1, by: step) {
            var worst = 0.0
            for c in columns {
                guard let z = gewekeZ(c[s...]) else {
                    worst = .infinity
                    break
                }
                worst = max(worst, abs(z))
            }
            if worst < threshold { return s }
        }
        return nil
    }

    // MARK: - Numerics

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

    /// The q-quantile of sorted values, linear between order statistics.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double { EnsembleSampling.quantile(sorted, q) }

    /// Φ⁻¹(p): Acklam's rational approximation refined by one Halley step on erfc.
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0 else { return -.infinity }
        guard p < 1 else { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
