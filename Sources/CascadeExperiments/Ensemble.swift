import CascadeCore
import Foundation

// MARK: - Ensemble predictions with their spread

/// One readout at one time under one condition, across an ensemble: the ketamine effect (log2
/// fold change vs vehicle under the same inhibitors) of every member, its spread, and how many
/// members give each call.
public struct EnsemblePrediction: Hashable, Sendable {
    public var condition: String
    public var readout: String
    public var time: Double
    /// One value per member that simulated (members in order).
    public var log2fc: [Double]
    public var median: Double
    /// The 5th and 95th percentiles (linear interpolation between order statistics).
    public var low: Double
    public var high: Double
    /// The share of members giving each call.
    public var shares: [Effect.Call: Double]
    /// The call that holds in at least the stated share of the ensemble, or nil (uncertain).
    public var consensus: Effect.Call?
}

public enum Ensemble {
    /// The distinct parameter sets of `members` (in order of first appearance) and, for each
    /// member, the index of its distinct set: members with equal values are simulated once and
    /// counted as often as they appear.
    public static func distinct(_ members: [[String: Double]]) -> (sets: [[String: Double]], slot: [Int]) {
        var sets: [[String: Double]] = []
        var index: [[String: Double]: Int] = [:]
        let slot = members.map { m -> Int in
            if let i = index[m] { return i }
            index[m] = sets.count
            sets.append(m)
            return sets.count - 1
        }
        return (sets, slot)
    }

    /// The q-quantile (0...1) of values, linear between order statistics (Hyndman & Fan type 7).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Predictions for every condition, readout and time, from `results[member][condition]`
    /// where condition 0 has no inhibitors (each member's own uninhibited effect is its
    /// reference for the retained share). A call is the consensus only when at least `share` of
    /// the members that simulated give it.
    public static func predictions(
        _ results: [[VariantScreen.Outcome]], conditions: [Condition], readouts: [String],
        times: [Double], rules: CallRules, share: Double
    ) -> [EnsemblePrediction] {
        var out: [EnsemblePrediction] = []
        for (c, condition) in conditions.enumerated() {
            for (ti, time) in times.enumerated() {
                for (ri, readout) in readouts.enumerated() {
                    var fcs: [Double] = []
                    var counts: [Effect.Call: Int] = [:]
                    for member in results {
                        guard let ref = member.first?.value, let arms = member[c].value else { continue }
                        let fc = KnockoutScreen.log2FoldChange(arms.vehicle[ti][ri], arms.treated[ti][ri])
                        let levels = CallLevels(
                            referenceVehicle: ref.vehicle[ti][ri], referenceTreated: ref.treated[ti][ri],
                            vehicle: arms.vehicle[ti][ri], treated: arms.treated[ti][ri])
                        let call = rules.judge(levels, readout: readout, isReference: c == 0).call
                        if let fc { fcs.append(fc) }
                        counts[call, default: 0] += 1
                    }
                    let n = counts.values.reduce(0, +)
                    let sorted = fcs.sorted()
                    var shares: [Effect.Call: Double] = [:]
                    for (call, k) in counts { shares[call] = Double(k) / Double(max(n, 1)) }
                    let best = shares.filter { $0.value >= share }.max { $0.value < $1.value }?.key
                    out.append(
                        EnsemblePrediction(
                            condition: condition.id, readout: readout, time: time, log2fc: fcs,
                            median: quantile(sorted, 0.5), low: quantile(sorted, 0.05),
                            high: quantile(sorted, 0.95), shares: shares, consensus: best))
                }
            }
        }
        return out
    }
}
