import Foundation

/// The blockade of ketamine's effect on one readout at one time as a function of an inhibitor's
/// concentration: block(c) = max_block · cʰ / (cʰ + IC50ʰ), block = 1 − retained share, fitted by
/// least squares to the screen's single-inhibitor conditions on a dose grid (three doses or more).
public struct DoseResponse: Hashable, Sendable {
    public var inhibitor: String
    public var readout: String
    public var time: Double
    /// The concentrations (µM) and the blockade at each, as fitted.
    public var concentrations: [Double]
    public var block: [Double]
    /// nil when the blockade does not rise with the concentration (no fit).
    public var ic50: Double?
    public var hill: Double?
    public var maxBlock: Double?

    /// The fitted blockade at a concentration (µM).
    public func predicted(_ c: Double) -> Double? {
        guard let ic50, let hill, let maxBlock else { return nil }
        return c <= 0 ? 0 : maxBlock * Foundation.pow(c, hill) / (Foundation.pow(c, hill) + Foundation.pow(ic50, hill))
    }

    /// Least-squares fit of (IC50, Hill, max block) to blockade values at concentrations (µM),
    /// Hill coefficient in [0.3, 5] and IC50 within two decades of the tested range. For a given
    /// (IC50, Hill) the best max block is linear least squares; the two are found on a grid
    /// (0.01 in log10 IC50, 0.05 in Hill) and refined by shrinking coordinate steps. Returns nil
    /// when fewer than three concentrations are positive or the best max block is not positive.
    public static func fit(concentrations: [Double], block: [Double]) -> (ic50: Double, hill: Double, maxBlock: Double)? {
        let points = zip(concentrations, block).filter { $0.0 > 0 && $0.1.isFinite }
        guard points.count >= 3 else { return nil }
        let lo = Foundation.log10(points.map(\.0).min()!) - 2, hi = Foundation.log10(points.map(\.0).max()!) + 2
        func shape(_ c: Double, _ logIC50: Double, _ h: Double) -> Double { 1 / (1 + Foundation.pow(10, h * (logIC50 - Foundation.log10(c)))) }
        func evaluate(_ logIC50: Double, _ h: Double) -> (sse: Double, m: Double) {
            var ff = 0.0, fy = 0.0
            for (c, y) in points {
                let f = shape(c, logIC50, h)
                ff += f * f
                fy += f * y
            }
            let m = ff > 0 ? fy / ff : 0
            var sse = 0.0
            for (c, y) in points {
                let r = y - m * shape(c, logIC50, h)
                sse += r * r
            }
            return (sse, m)
        }
        var best = (sse: Double.infinity, logIC50: 0.0, h: 1.0, m: 0.0)
        var x = lo
        while x <= hi + 1e-9 {
            var h = 0.3
            while h <= 5 + 1e-9 {
                let e = evaluate(x, h)
                if e.sse < best.sse { best = (e.sse, x, h, e.m) }
                h += 0.05
            }
            x += 0.01
        }
        var step = (x: 0.005, h: 0.025)
        for _ in 0 ..< 40 {
            var improved = false
            for (dx, dh) in [(step.x, 0.0), (-step.x, 0.0), (0.0, step.h), (0.0, -step.h)] {
                let nx = Swift.min(hi, Swift.max(lo, best.logIC50 + dx)), nh = Swift.min(5, Swift.max(0.3, best.h + dh))
                let e = evaluate(nx, nh)
                if e.sse < best.sse { best = (e.sse, nx, nh, e.m); improved = true }
            }
            if !improved { step = (step.x / 2, step.h / 2) }
        }
        guard best.m > 0 else { return nil }
        return (Foundation.pow(10, best.logIC50), best.h, best.m)
    }
}

/// A readout's change under the treatment as a function of the treatment's concentration:
/// log2 fold change(c) = max_log2fc · cʰ / (cʰ + EC50ʰ), fitted by least squares (as
/// `DoseResponse.fit`, on the change in the direction of the largest one) to the screen's
/// treatment doses without inhibitors, the protocol's concentration included.
public struct TreatmentDoseResponse: Hashable, Sendable {
    public var treatment: String
    public var readout: String
    public var time: Double
    /// The concentrations (µM), increasing, and the log2 fold change at each.
    public var concentrations: [Double]
    public var log2fc: [Double]
    /// nil when the largest change is below the detection threshold or the change does not rise
    /// with the concentration (no fit).
    public var ec50: Double?
    public var hill: Double?
    /// The fitted change at saturation (log2, signed).
    public var maxLog2fc: Double?

    /// The fitted log2 fold change at a concentration (µM).
    public func predicted(_ c: Double) -> Double? {
        guard let ec50, let hill, let maxLog2fc else { return nil }
        return c <= 0 ? 0 : maxLog2fc * Foundation.pow(c, hill) / (Foundation.pow(c, hill) + Foundation.pow(ec50, hill))
    }

    /// Fits the curve to (concentration, log2 fold change) points; no fit when the largest
    /// |change| is below `threshold` (log2 of the minimum fold).
    public static func fitted(
        treatment: String, readout: String, time: Double, concentrations: [Double], log2fc: [Double], threshold: Double
    ) -> TreatmentDoseResponse {
        var r = TreatmentDoseResponse(treatment: treatment, readout: readout, time: time, concentrations: concentrations, log2fc: log2fc)
        guard let largest = log2fc.filter(\.isFinite).max(by: { abs($0) < abs($1) }), abs(largest) >= threshold else { return r }
        let sign = largest > 0 ? 1.0 : -1.0
        if let f = DoseResponse.fit(concentrations: concentrations, block: log2fc.map { $0 * sign }) {
            r.ec50 = f.ic50
            r.hill = f.hill
            r.maxLog2fc = sign * f.maxBlock
        }
        return r
    }
}

extension KnockoutScreen {
    /// Dose responses for every treatment with `treatment_doses`: the reference condition (the
    /// protocol's concentration) and the dose conditions, when three concentrations or more were
    /// simulated, every readout and time.
    static func treatmentDoseResponses(_ e: Experiment, _ conditions: [Condition], _ effects: [[Effect]], rules: CallRules) -> [TreatmentDoseResponse] {
        var out: [TreatmentDoseResponse] = []
        for t in e.treatments.map(\.id) {
            guard let nominal = e.treatmentConcentration(t), e.screen.treatmentDoses[t] != nil else { continue }
            var points: [(Double, Int)] = effects[0].isEmpty ? [] : [(nominal, 0)]
            for (i, c) in conditions.enumerated() where c.inhibitors.isEmpty && c.treatments.keys.contains(t) && !effects[i].isEmpty {
                points.append((c.treatments[t]!, i))
            }
            points.sort { $0.0 < $1.0 }
            guard points.count >= 3 else { continue }
            for (k, effect) in effects[0].enumerated() {
                let values = points.map { effects[$0.1][k].log2fc ?? .nan }
                out.append(
                    TreatmentDoseResponse.fitted(
                        treatment: t, readout: effect.readout, time: effect.time, concentrations: points.map(\.0), log2fc: values,
                        threshold: Foundation.log2(rules.minimumFold(effect.readout))))
            }
        }
        return out
    }

    /// Dose responses for every inhibitor screened alone at three concentrations or more (with
    /// the experiment's protocol), every readout and time where ketamine's uninhibited effect is
    /// detectable.
    static func doseResponses(_ conditions: [Condition], _ effects: [[Effect]], readouts: [String], times: [Double]) -> [DoseResponse] {
        var drugs: [String] = []
        for c in conditions where c.inhibitors.count == 1 && c.steps.isEmpty {
            let d = c.inhibitors.keys.first!
            if !drugs.contains(d) { drugs.append(d) }
        }
        var out: [DoseResponse] = []
        for d in drugs {
            let singles = conditions.indices.filter {
                conditions[$0].inhibitors.keys.first == d && conditions[$0].inhibitors.count == 1
                    && conditions[$0].steps.isEmpty && !effects[$0].isEmpty
            }
            .sorted { conditions[$0].inhibitors[d]! < conditions[$1].inhibitors[d]! }
            guard singles.count >= 3 else { continue }
            for (ti, t) in times.enumerated() {
                for (ri, r) in readouts.enumerated() {
                    let k = ti * readouts.count + ri
                    let retained = singles.map { effects[$0][k].retained }
                    guard retained.allSatisfy({ $0 != nil }) else { continue }
                    let cs = singles.map { conditions[$0].inhibitors[d]! }, block = retained.map { 1 - $0! }
                    let f = DoseResponse.fit(concentrations: cs, block: block)
                    out.append(
                        DoseResponse(
                            inhibitor: d, readout: r, time: t, concentrations: cs, block: block,
                            ic50: f?.ic50, hill: f?.hill, maxBlock: f?.maxBlock))
                }
            }
        }
        return out
    }
}
