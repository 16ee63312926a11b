import Foundation

extension Planner {
    /// What one well set adds to a hypothesis pair's D² for one readout when the predictions come
    /// from an ensemble of calibrated parameter sets.
    ///
    /// With dₖ the difference between the two hypotheses' predicted contrasts (ln units) for
    /// member k, μ and s² their mean and variance over the members, n replicates and `contrastWells`
    /// m (2 or 4, see `Contrasts`), the measured contrast has standard error σ√(m/n), and the
    /// predicted difference is itself uncertain by s. The z-score of the difference against both is
    ///
    ///     z² = μ² / (m σ²/n + s²) = n μ² / (m σ² + n s²)
    ///
    /// which is the nominal criterion when every member agrees (s = 0), and small when the
    /// members disagree on the size or the sign of the difference: a condition that separates
    /// the hypotheses for some members only scores below one that separates them for all, even
    /// at the same mean. More replicates do not make up for the ensemble's spread (z² → μ²/s²).
    public static func ensembleTerm(differences d: [Double], sigma: Double, replicates n: Double, contrastWells m: Double) -> Double {
        let finite = d.filter(\.isFinite)
        guard !finite.isEmpty else { return 0 }
        let k = Double(finite.count)
        let mean = finite.reduce(0, +) / k
        let variance = finite.count > 1 ? finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1) : 0
        return n * mean * mean / (m * sigma * sigma + n * variance)
    }
}
