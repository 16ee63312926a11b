import CascadeCore
import CascadeExperiments
import Foundation

/// Renderings of a virtual cohort: the report for people, the ranking and the members as CSV.
extension CohortResult {
    /// The report for people: the cohort, the ensemble predictions with their spread, and the
    /// parameters ranked by how well they separate responders from non-responders.
    public func table() -> String {
        let e = experiment
        func f(_ v: Double, _ d: Int = 2) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "n/a" }
        var out = "Virtual cohort: \(cohort.members.count) members, seed \(e.spec.seed), "
        out += "line \(e.line?.id ?? "(model nominal)"), hypothesis \(e.hypothesis?.id ?? "(model as written)").\n"
        out += "Sampling: each varied parameter log-normal with its median at the nominal value, ln X ~ N(ln nominal, ln(1+CV²)); "
        out += "member k uses its own SplitMix64 stream, seeded by the first output of SplitMix64(seed + k·0x9E3779B97F4A7C15).\n"
        out +=
            "Protocol: the experiment's (\(URL(fileURLWithPath: e.experiment.file).lastPathComponent)); each member settled \(formatDuration(e.settle)) without drug first.\n\n"

        out += "Varied parameters:\n"
        let idWidth = max(10, e.spec.variations.map(\.id.count).max() ?? 0) + 2
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
        out += pad("parameter", idWidth) + pad("nominal", 12) + pad("CV", 6) + "source\n"
        for (j, v) in e.spec.variations.enumerated() {
            out +=
                pad(v.id, idWidth) + pad(String(format: "%.4g", cohort.nominal[j]), 12) + pad(f(v.cv), 6)
                + (v.source.isEmpty ? "assumed" : v.source) + (v.maximum.map { " (capped at \(formatNumber($0)))" } ?? "") + "\n"
        }

        out += "\nEnsemble predictions: ketamine's effect (log2 fold change vs vehicle under the same inhibitors), "
        out += "median [5%, 95%] over members; a call is given only when at least \(Int((e.consensus * 100).rounded()))% of members agree, else 'uncertain'.\n"
        let rw = max(12, e.screen.readouts.map(\.count).max() ?? 0) + 2
        let cw = max(10, e.conditions.map(\.id.count).max() ?? 0) + 2
        out += pad("condition", cw) + pad("readout", rw) + pad("time", 8) + pad("median [5%, 95%]", 26) + "call (share)\n"
        for p in predictions {
            let call =
                p.consensus.map { "\($0.rawValue) (\(Int(((p.shares[$0] ?? 0) * 100).rounded()))%)" }
                ?? ("uncertain ("
                    + p.shares.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \(Int(($0.value * 100).rounded()))%" }.joined(separator: ", ") + ")")
            out +=
                pad(p.condition, cw) + pad(p.readout, rw) + pad(formatDuration(p.time), 8)
                + pad("\(f(p.median)) [\(f(p.low)), \(f(p.high))]", 26) + call + "\n"
        }

        let a = analysis
        let nR = a.groups.filter { $0 == .responder }.count, nN = a.groups.filter { $0 == .nonResponder }.count
        out += "\nResponder definition: \(a.definition.description). \(nR) responders, \(nN) non-responders"
        if !failures.isEmpty { out += ", \(failures.count) members failed to simulate" }
        out += ".\n"
        let outcomes = a.outcome.compactMap { $0 }.sorted()
        out +=
            "Outcome over the cohort: median \(f(Ensemble.quantile(outcomes, 0.5), 3)) [5%: \(f(Ensemble.quantile(outcomes, 0.05), 3)), 95%: \(f(Ensemble.quantile(outcomes, 0.95), 3))] log2 fold.\n\n"
        out += "Parameters ranked by how well they separate responders from non-responders.\n"
        out += "Ranking statistic: |AUC − 0.5|, where AUC is the probability that a random responder has a higher value than a random non-responder "
        out += "(0.5 = no separation, 1 = every responder higher, 0 = every responder lower). Also: Cohen's d of ln value, "
        out += "the ratio of group medians, and the Spearman correlation of the value with the outcome over the whole cohort.\n"
        out += pad("rank", 6) + pad("parameter", idWidth) + pad("AUC", 7) + pad("d", 7) + pad("R/NR", 7) + pad("Spearman", 10) + "direction in responders\n"
        for (i, r) in a.ranking.enumerated() {
            let dir = abs(r.auc - 0.5) < 0.05 ? "no difference" : (r.auc > 0.5 ? "higher" : "lower")
            out +=
                pad("\(i + 1)", 6) + pad(r.id, idWidth) + pad(f(r.auc), 7) + pad(f(r.cohenD), 7) + pad(f(r.medianRatio), 7)
                + pad(f(r.spearman), 10) + dir + "\n"
        }
        for fl in failures.prefix(5) { out += "member \(fl.member) failed: \(fl.reason)\n" }
        out += String(format: "\n%d simulations in %.2f s\n", simulations, seconds)
        return out
    }

    /// One row per member: sampled values, outcome and group.
    public func membersCSV() -> String {
        var out = (["member"] + cohort.spec.variations.map(\.id) + ["outcome_log2fc", "group"]).joined(separator: ",") + "\n"
        for (k, row) in cohort.members.enumerated() {
            out +=
                ([String(k)] + row.map(formatNumber) + [analysis.outcome[k].map(formatNumber) ?? "", analysis.groups[k].rawValue])
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// The ranking as CSV.
    public func rankingCSV() -> String {
        var out = "rank,parameter,auc,cohen_d,median_ratio,spearman\n"
        for (i, r) in analysis.ranking.enumerated() {
            out +=
                [String(i + 1), r.id, formatNumber(r.auc), formatNumber(r.cohenD), formatNumber(r.medianRatio), formatNumber(r.spearman)]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}

extension VirtualCohort {
    /// `member,<ids>` with every value written so that it reads back exactly.
    public func csv() -> String {
        var out = (["member"] + spec.variations.map(\.id)).joined(separator: ",") + "\n"
        for (k, row) in members.enumerated() {
            out += ([String(k)] + row.map(formatNumber)).joined(separator: ",") + "\n"
        }
        return out
    }
}
