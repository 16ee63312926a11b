import CascadeCore
import Foundation

// MARK: - Responders and non-responders

/// Which simulated members count as responders and non-responders.
public struct ResponderDefinition: Hashable, Sendable {
    public enum Rule: Hashable, Sendable {
        /// Top third of the outcome = responders, bottom third = non-responders.
        case tertiles
        /// Outcome fold change ≥ `responder` = responders; ≤ `nonResponder` = non-responders.
        case thresholds(responder: Double, nonResponder: Double)
    }
    /// The outcome: ketamine's effect on this readout (log2 fold change vs the member's vehicle).
    public var readout: String
    public var time: Double
    public var rule: Rule

    public init(readout: String, time: Double, rule: Rule) {
        self.readout = readout
        self.time = time
        self.rule = rule
    }

    public var description: String {
        let outcome = "ketamine's effect on \(readout) at \(formatDuration(time)) (log2 fold change vs the member's own vehicle run)"
        switch rule {
        case .tertiles:
            return "responders: the top third of the cohort by \(outcome); non-responders: the bottom third"
        case .thresholds(let r, let n):
            return "responders: \(outcome) at least \(formatNumber(r))-fold; non-responders: at most \(formatNumber(n))-fold"
        }
    }
}

/// How one varied parameter differs between responders and non-responders.
public struct ParameterRanking: Hashable, Sendable {
    public var id: String
    /// Area under the ROC curve: the probability that a random responder has a higher value than
    /// a random non-responder (ties count half); 0.5 = no separation. The ranking statistic.
    public var auc: Double
    /// Standardised mean difference of ln value (responders − non-responders, pooled SD).
    public var cohenD: Double
    /// Median value in responders over median in non-responders.
    public var medianRatio: Double
    /// Spearman rank correlation of the value with the outcome over every member that simulated.
    public var spearman: Double
}

public enum Group: String, Hashable, Sendable {
    case responder
    case nonResponder = "non-responder"
    case middle, failed
}

public struct CohortAnalysis: Hashable, Sendable {
    public var definition: ResponderDefinition
    /// The outcome per member (nil when the member's simulation failed).
    public var outcome: [Double?]
    public var groups: [Group]
    /// Sorted by |AUC − 0.5|, largest first (then |d|, then id).
    public var ranking: [ParameterRanking]

    public static func analyse(_ cohort: VirtualCohort, outcome: [Double?], definition: ResponderDefinition) -> CohortAnalysis {
        let ok = outcome.enumerated().compactMap { k, v in v.map { (k, $0) } }
        var groups = [Group](repeating: .failed, count: outcome.count)
        switch definition.rule {
        case .tertiles:
            // Ranks by outcome (ties by member index), top and bottom thirds.
            let order = ok.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
            let third = order.count / 3
            for (r, k) in order.enumerated() {
                groups[k] = r < third ? .nonResponder : (r >= order.count - third ? .responder : .middle)
            }
        case .thresholds(let r, let n):
            for (k, v) in ok {
                groups[k] = v >= Foundation.log2(r) ? .responder : (v <= Foundation.log2(n) ? .nonResponder : .middle)
            }
        }
        let responders = groups.indices.filter { groups[$0] == .responder }
        let non = groups.indices.filter { groups[$0] == .nonResponder }
        var ranking: [ParameterRanking] = []
        for (j, v) in cohort.spec.variations.enumerated() {
            let a = responders.map { Foundation.log(cohort.members[$0][j]) }
            let b = non.map { Foundation.log(cohort.members[$0][j]) }
            let all = ok.map { Foundation.log(cohort.members[$0.0][j]) }
            ranking.append(
                ParameterRanking(
                    id: v.id, auc: auc(a, b), cohenD: cohenD(a, b),
                    medianRatio: Foundation.exp(Ensemble.quantile(a.sorted(), 0.5) - Ensemble.quantile(b.sorted(), 0.5)),
                    spearman: spearman(all, ok.map(\.1))))
        }
        ranking.sort { x, y in
            let dx = abs(x.auc - 0.5), dy = abs(y.auc - 0.5)
            if dx != dy { return dx > dy }
            if abs(x.cohenD) != abs(y.cohenD) { return abs(x.cohenD) > abs(y.cohenD) }
            return x.id < y.id
        }
        return CohortAnalysis(definition: definition, outcome: outcome, groups: groups, ranking: ranking)
    }

    /// P(A > B) + ½ P(A = B) over all pairs (the Mann-Whitney U over n_A·n_B).
    static func auc(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .nan }
        var u = 0.0
        for x in a { for y in b { u += x > y ? 1 : (x == y ? 0.5 : 0) } }
        return u / Double(a.count * b.count)
    }

    static func cohenD(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count >= 2, b.count >= 2 else { return .nan }
        func meanVar(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
        }
        let (ma, va) = meanVar(a), (mb, vb) = meanVar(b)
        let pooled = ((Double(a.count - 1) * va + Double(b.count - 1) * vb) / Double(a.count + b.count - 2)).squareRoot()
        return pooled > 0 ? (ma - mb) / pooled : 0
    }

    /// Ranks with ties averaged.
    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i ... j { r[order[k]] = avg }
            i = j + 1
        }
        return r
    }

    static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count >= 3 else { return .nan }
        let rx = ranks(x), ry = ranks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
