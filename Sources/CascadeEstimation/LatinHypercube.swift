import CascadeSolver

/// Seeded Latin hypercube samples in a box: each coordinate's range is cut into `count` equal
/// strata and every stratum holds exactly one sample, placed uniformly within it.
///
/// The samples depend only on the seed, the count and the box (SplitMix64), so shards of a fit
/// that draw the same samples and take their own share agree with an unsharded run.
public enum LatinHypercube {
    public static func sample(count: Int, lower: [Double], upper: [Double], seed: UInt64) -> [[Double]] {
        precondition(lower.count == upper.count)
        var rng = SplitMix64(seed: seed)
        let n = lower.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: count)
        guard count > 0 else { return out }
        for j in 0 ..< n {
            // Fisher-Yates shuffle of the strata.
            var strata = Array(0 ..< count)
            if count > 1 {
                for i in stride(from: count - 1, to: 0, by: -1) {
                    let k = Int(rng.next() % UInt64(i + 1))
                    strata.swapAt(i, k)
                }
            }
            let width = upper[j] - lower[j]
            for i in 0 ..< count {
                let u = (Double(strata[i]) + rng.unit()) / Double(count)
                out[i][j] = lower[j] + u * width
            }
        }
        return out
    }
}
