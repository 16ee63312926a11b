import CascadeExperiments
import Foundation

extension CohortResult {
    /// The cohort report as JSON with sorted keys (`cascade cohort --format json`): members, seed,
    /// line, hypothesis, consensus, varied (id, nominal, cv, maximum, source), predictions
    /// (condition, readout, time, median, p5, p95, call, shares), responders (definition, readout,
    /// time, responders, non_responders, failed), ranking (rank, parameter, auc, cohen_d,
    /// median_ratio, spearman), failures (member, reason), simulations. Everything the table gives
    /// except the run time, so the same seed gives the same bytes. Non-finite numbers are null.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(CohortJSON(self)), as: UTF8.self) + "\n"
    }
}

/// The shape of `CohortResult.json()`.
private struct CohortJSON: Encodable {
    struct Varied: Encodable {
        var id: String
        var nominal: Double?
        var cv: Double?
        var maximum: Double?
        var source: String
    }

    struct Prediction: Encodable {
        var condition: String
        var readout: String
        var time: Double?
        var median: Double?
        var p5: Double?
        var p95: Double?
        /// The call a consensus of members gives, or null (uncertain).
        var call: String?
        var shares: [String: Double]
    }

    struct Responders: Encodable {
        var definition: String
        var readout: String
        var time: Double?
        var responders: Int
        var nonResponders: Int
        var failed: Int

        enum CodingKeys: String, CodingKey {
            case definition, readout, time, responders, failed
            case nonResponders = "non_responders"
        }
    }

    struct Ranked: Encodable {
        var rank: Int
        var parameter: String
        var auc: Double?
        var cohenD: Double?
        var medianRatio: Double?
        var spearman: Double?

        enum CodingKeys: String, CodingKey {
            case rank, parameter, auc, spearman
            case cohenD = "cohen_d"
            case medianRatio = "median_ratio"
        }
    }

    struct Failed: Encodable {
        var member: Int
        var reason: String
    }

    var members: Int
    var seed: UInt64
    var line: String?
    var hypothesis: String?
    var consensus: Double?
    var varied: [Varied]
    var predictions: [Prediction]
    var responders: Responders
    var ranking: [Ranked]
    var failures: [Failed]
    var simulations: Int

    init(_ r: CohortResult) {
        func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
        let e = r.experiment
        members = r.cohort.members.count
        seed = e.spec.seed
        line = e.line?.id
        hypothesis = e.hypothesis?.id
        consensus = finite(e.consensus)
        varied = e.spec.variations.enumerated().map { j, v in
            Varied(id: v.id, nominal: finite(r.cohort.nominal[j]), cv: finite(v.cv), maximum: v.maximum.flatMap(finite), source: v.source)
        }
        predictions = r.predictions.map { p in
            Prediction(
                condition: p.condition, readout: p.readout, time: finite(p.time), median: finite(p.median), p5: finite(p.low),
                p95: finite(p.high), call: p.consensus?.rawValue,
                shares: Dictionary(uniqueKeysWithValues: p.shares.map { ($0.key.rawValue, $0.value) }))
        }
        let a = r.analysis
        responders = Responders(
            definition: a.definition.description, readout: a.definition.readout, time: finite(a.definition.time),
            responders: a.groups.filter { $0 == .responder }.count,
            nonResponders: a.groups.filter { $0 == .nonResponder }.count,
            failed: a.groups.filter { $0 == .failed }.count)
        ranking = a.ranking.enumerated().map { i, k in
            Ranked(
                rank: i + 1, parameter: k.id, auc: finite(k.auc), cohenD: finite(k.cohenD), medianRatio: finite(k.medianRatio),
                spearman: finite(k.spearman))
        }
        failures = r.failures.map { Failed(member: $0.member, reason: $0.reason) }
        simulations = r.simulations
    }
}
