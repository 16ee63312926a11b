import CascadeSolver
import Foundation

/// The probability that a call holds on a plate, computed exactly (to about 1e-9) by numerical
/// integration over the noise of the four well groups instead of by random draws.
///
/// Each group's measurement is the geometric mean of `n` wells, so its log2 is normal around the
/// log2 of the predicted level with SD s = σ / (√n ln 2), σ = √ln(1 + CV²), and is read with the
/// assay's floor L (a fixed level: `floor × the predicted reference vehicle level`). With a, b,
/// c, e the log2 measurements of the reference vehicle, reference treated, vehicle and treated
/// groups, the call depends on ref = B − A, fc = E − C and own = C − A (capital letters: read
/// with the floor, `max(x, L)`). The call regions are bounded by lines through the origin of the
/// (ref, fc) plane and by |ref| = d, |fc| = d, |own| = d.
///
/// - No floor within 8.5 SDs of any group's level (the usual case): ref ~ N(m_ref, 2s²) and
///   fc ~ N(m_fc, 2s²) are independent, and own given (ref, fc) is N(m_own + (ref − m_ref)/2 −
///   (fc − m_fc)/2, s²). For each ref the call's fc-region is a union of intervals, so
///   P = ∫ φ(ref) Σ [Φ(fc interval)] d ref, a one-dimensional integral; `blocked` and
///   `occluded` split the fc intervals by own, a bivariate normal probability
///   (correlation −1/√3) by Sheppard's formula Φ₂(h, k; r) = Φ(h)Φ(k) + (1/2π) ∫₀^{asin r}
///   exp(−(h² + k² − 2hk sinθ) / (2cos²θ)) dθ.
/// - The floor near the condition's groups only: integrate over ref and over C (a point mass at
///   the floor plus the normal above it); fc given C is a floored normal (closed form) and own
///   given (ref, C) is normal with SD s/√2.
/// - The floor near a reference group: integrate over A, C and B, with fc in closed form.
///
/// Integrals are 10-point Gauss-Legendre on pieces of at most 4 SDs between every point where
/// the integrand jumps or kinks (the call boundaries), over ±8.5 SDs (tails below 1e-16); a
/// floor more than 8.5 SDs below a group's level never matters.
struct CallConfidence {
    let d: Double
    let rc: Double
    let rb: Double
    /// SD of one group's log2 measurement.
    let s: Double
    /// The floor in log2 (−∞ without floor).
    let floor: Double
    let a: Double, b: Double, c: Double, e: Double
    let isReference: Bool

    static let span = 8.5

    enum Region { case changed, partial, blockedLike, unchanged }

    /// The call's region in (ref, fc), as `CallRules.judge` decides it (without own).
    func region(_ ref: Double, _ fc: Double) -> Region {
        if abs(ref) < d { return abs(fc) >= d ? .changed : .unchanged }
        let r = fc / ref
        if r >= rc { return .changed }
        if r <= rb || abs(fc) < d { return .blockedLike }
        return .partial
    }

    /// Points of ref where the fc-regions change order or the |ref| < d case starts or ends.
    var refBreaks: [Double] {
        var out = [d, -d, 0]
        for k in [rc, rb] where k != 0 { out += [d / k, -d / k] }
        return out.filter(\.isFinite)
    }

    /// The fc intervals (lo, hi) of `target` for a given ref.
    func intervals(_ ref: Double, _ target: Region) -> [(Double, Double)] {
        var cuts = Array(Set([-d, d, rc * ref, rb * ref].filter(\.isFinite))).sorted()
        cuts = [-Double.infinity] + cuts + [Double.infinity]
        var out: [(Double, Double)] = []
        for i in 0 ..< cuts.count - 1 {
            let lo = cuts[i], hi = cuts[i + 1]
            let mid = lo.isInfinite ? hi - 1 : (hi.isInfinite ? lo + 1 : (lo + hi) / 2)
            guard region(ref, mid) == target else { continue }
            if let last = out.last, last.1 == lo { out[out.count - 1].1 = hi } else { out.append((lo, hi)) }
        }
        return out
    }

    /// Whether a level is far enough above the floor for the floor never to matter.
    func clear(_ m: Double) -> Bool { !floor.isFinite || floor < m - Self.span * s }

    func probability(_ call: Effect.Call) -> Double {
        let target: Region
        switch call {
        case .changed: target = .changed
        case .partial: target = .partial
        case .blocked, .occluded: target = .blockedLike
        case .unchanged: target = .unchanged
        }
        let occluded = call == .occluded
        if isReference {
            // fc = ref: changed when |ref| ≥ d.
            let want = call == .changed
            if clear(a), clear(b) {
                let sr = 2.0.squareRoot() * s, m = b - a
                let p = normalCDF((m - d) / sr) + normalCDF((-m - d) / sr)
                return want ? p : 1 - p
            }
            return Self.expect(a, s, floor, splits: []) { A in
                Self.expect(b, s, floor, splits: [A - d, A + d]) { B in (abs(B - A) >= d) == want ? 1 : 0 }
            }
        }
        if clear(a), clear(b), clear(c), clear(e) { return unfloored(target, occluded: occluded) }
        if clear(a), clear(b) { return flooredCondition(target, occluded: occluded) }
        return general(target, occluded: occluded)
    }

    /// No floor: one integral over ref, closed form in fc (and own).
    func unfloored(_ target: Region, occluded: Bool) -> Double {
        let sr = 2.0.squareRoot() * s
        let mRef = b - a, mFc = e - c, mOwn = c - a
        return Self.expect(mRef, sr, -.infinity, splits: refBreaks) { ref in
            var p = 0.0
            for (lo, hi) in intervals(ref, target) {
                let zl = (lo - mFc) / sr, zh = (hi - mFc) / sr
                let all = normalCDF(zh) - normalCDF(zl)
                guard target == .blockedLike else { p += all; continue }
                // own = A0 − (fc − m_fc)/2 + s W; with Z = (fc − m_fc)/sr and V = (W − Z/√2)/√1.5,
                // corr(Z, V) = −1/√3.
                let a0 = mOwn + (ref - mRef) / 2
                if ref > 0 {
                    // occluded: own ≥ d ⇔ V ≥ (d − A0)/(s√1.5).
                    let k = (d - a0) / (s * 1.5.squareRoot())
                    let below = Self.bvn(zh, k) - Self.bvn(zl, k)
                    p += occluded ? all - below : below
                } else {
                    // occluded: own ≤ −d ⇔ V ≤ (−d − A0)/(s√1.5).
                    let k = (-d - a0) / (s * 1.5.squareRoot())
                    let below = Self.bvn(zh, k) - Self.bvn(zl, k)
                    p += occluded ? below : all - below
                }
            }
            return p
        }
    }

    /// P(fc ≤ x) given C, with E = max(e, L): 0 below the floor's point, else normal.
    func fcCDF(_ x: Double, given C: Double) -> Double {
        if x == .infinity { return 1 }
        if x + C < floor { return 0 }
        return normalCDF((x + C - e) / s)
    }

    /// Whether own (the inhibitors' own effect) makes a blocked-like region `occluded`.
    func occludes(own: Double, ref: Double) -> Bool { own * (ref > 0 ? 1 : -1) >= d }

    /// The floor near the condition's groups only: integrals over ref and C.
    func flooredCondition(_ target: Region, occluded: Bool) -> Double {
        let sr = 2.0.squareRoot() * s, mRef = b - a
        return Self.expect(mRef, sr, -.infinity, splits: refBreaks) { ref in
            let splits = [floor + d, floor - d, floor - rc * ref, floor - rb * ref].filter(\.isFinite)
            let pieces = intervals(ref, target)
            guard !pieces.isEmpty else { return 0 }
            return Self.expect(c, s, floor, splits: splits) { C in
                var p = 0.0
                for (lo, hi) in pieces { p += fcCDF(hi, given: C) - fcCDF(lo, given: C) }
                guard target == .blockedLike, p > 0 else { return p }
                // own = C − a, a given ref: N(a − (ref − m_ref)/2, s²/2).
                let mu = C - a + (ref - mRef) / 2, so = s / 2.0.squareRoot()
                let pOccluded = ref > 0 ? normalCDF((mu - d) / so) : normalCDF((-d - mu) / so)
                return p * (occluded ? pOccluded : 1 - pOccluded)
            }
        }
    }

    /// Any group near the floor: integrals over A, C and B; fc in closed form.
    func general(_ target: Region, occluded: Bool) -> Double {
        Self.expect(a, s, floor, splits: []) { A in
            Self.expect(c, s, floor, splits: [A - d, A + d, floor - d, floor + d]) { C in
                let own = C - A
                var refSplits = refBreaks
                for k in [rc, rb] where k != 0 { refSplits += [(floor - C) / k] }
                return Self.expect(b, s, floor, splits: refSplits.filter(\.isFinite).map { A + $0 }) { B in
                    let ref = B - A
                    if target == .blockedLike, occludes(own: own, ref: ref) != occluded { return 0 }
                    var p = 0.0
                    for (lo, hi) in intervals(ref, target) { p += fcCDF(hi, given: C) - fcCDF(lo, given: C) }
                    return p
                }
            }
        }
    }

    // MARK: - Integration

    /// E[g(max(X, L))] for X ~ N(m, sd²): the point mass at L plus Gauss-Legendre over pieces
    /// (at most 4 SDs wide, cut at `splits`) of [max(L, m − 8.5 SD), m + 8.5 SD].
    static func expect(_ m: Double, _ sd: Double, _ L: Double, splits: [Double], _ g: (Double) -> Double) -> Double {
        let lo = m - span * sd, hi = m + span * sd
        var total = 0.0
        var start = lo
        if L.isFinite, L > lo {
            if L >= hi { return g(L) }
            total += normalCDF((L - m) / sd) * g(L)
            start = L
        }
        let cuts = [start] + splits.filter { $0 > start && $0 < hi }.sorted() + [hi]
        let (nodes, weights) = gaussLegendre
        for i in 0 ..< cuts.count - 1 {
            let width = cuts[i + 1] - cuts[i]
            guard width > 0 else { continue }
            let parts = Int((width / (4 * sd)).rounded(.up))
            let h = width / Double(parts)
            for k in 0 ..< parts {
                let x0 = cuts[i] + Double(k) * h
                for (t, w) in zip(nodes, weights) {
                    let x = x0 + h * (t + 1) / 2
                    let z = (x - m) / sd
                    total += w * h / 2 * Foundation.exp(-z * z / 2) / (sd * (2 * Double.pi).squareRoot()) * g(x)
                }
            }
        }
        return total
    }

    /// 10-point Gauss-Legendre nodes and weights on [−1, 1] (Newton on the Legendre polynomial).
    static let gaussLegendre: ([Double], [Double]) = legendre(10)

    static func legendre(_ n: Int) -> ([Double], [Double]) {
        var nodes: [Double] = [], weights: [Double] = []
        for i in 1 ... n {
            var x = Foundation.cos(Double.pi * (Double(i) - 0.25) / (Double(n) + 0.5))
            var dp = 0.0
            for _ in 0 ..< 100 {
                var p0 = 1.0, p1 = x
                for k in 2 ... n {
                    let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1
                    p1 = p2
                }
                dp = Double(n) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / dp
                x -= dx
                if abs(dx) < 1e-16 { break }
            }
            nodes.append(x)
            weights.append(2 / ((1 - x * x) * dp * dp))
        }
        return (nodes, weights)
    }

    /// Φ₂(h, k; −1/√3), the standard bivariate normal distribution function at the correlation
    /// of fc and own given ref, by Sheppard's integral over θ from 0 to asin r (16 nodes).
    static func bvn(_ h: Double, _ k: Double) -> Double {
        if h == -.infinity || k == -.infinity { return 0 }
        if h == .infinity { return normalCDF(k) }
        if k == .infinity { return normalCDF(h) }
        var sum = 0.0
        let hk = h * h + k * k, cross = 2 * h * k
        for (sn, twoCos2, w) in bvnNodes { sum += w * Foundation.exp(-(hk - cross * sn) / twoCos2) }
        return normalCDF(h) * normalCDF(k) + sum
    }

    /// Sheppard's integral's nodes: sin θ, 2cos²θ and the weight (with the 1/2π and the
    /// interval's half-width folded in), θ from 0 to asin(−1/√3).
    static let bvnNodes: [(Double, Double, Double)] = {
        let upper = Foundation.asin(-1 / 3.0.squareRoot())
        let (nodes, weights) = legendre(16)
        return zip(nodes, weights).map { t, w in
            let theta = upper * (t + 1) / 2
            let c = Foundation.cos(theta)
            return (Foundation.sin(theta), 2 * c * c, w * upper / 2 / (2 * Double.pi))
        }
    }()
}

extension CallRules {
    /// The probability that the call holds on a plate with `thresholds.replicates` wells per
    /// group: each group's measurement is the geometric mean of its wells, each well log-normal
    /// around the predicted level (σ of ln = √ln(1 + CV²) of the readout's assay), so ln of the
    /// mean is normal with SD σ/√n; the floor stays where it is (an absolute level). Computed by
    /// numerical integration (see `CallConfidence`), the same value as the limit of
    /// `sampledConfidence` with many draws. Levels that are not positive and finite (a floor of
    /// 0 and a level of 0) fall back to 2000 seeded draws.
    public func confidence(_ x: CallLevels, readout: String, isReference: Bool) -> Double {
        let floorLevel = floorLevel(readout, referenceVehicle: x.referenceVehicle)
        let fold = minimumFold(readout)
        let call = judge(x, floor: floorLevel, minimumFold: fold, isReference: isReference).call
        func read(_ v: Double) -> Double { v.isFinite ? Swift.max(v, floorLevel) : v }
        let levels = [x.referenceVehicle, x.referenceTreated, x.vehicle, x.treated].map(read)
        guard levels.allSatisfy({ $0 > 0 && $0.isFinite }), fold > 1 else {
            return sampledConfidence(x, readout: readout, isReference: isReference, seed: 0)
        }
        let sd = assays.assay(for: readout).sigma / Double(Swift.max(1, thresholds.replicates)).squareRoot() / Foundation.log(2)
        guard sd > 0 else { return 1 }
        let raw = [x.referenceVehicle, x.referenceTreated, x.vehicle, x.treated].map { Foundation.log2($0) }
        let p = CallConfidence(
            d: Foundation.log2(fold), rc: thresholds.retainedChanged, rb: thresholds.retainedBlocked, s: sd,
            floor: floorLevel > 0 ? Foundation.log2(floorLevel) : -.infinity,
            a: raw[0], b: raw[1], c: isReference ? raw[0] : raw[2], e: isReference ? raw[1] : raw[3], isReference: isReference
        ).probability(call)
        return Swift.min(1, Swift.max(0, p))
    }
}
