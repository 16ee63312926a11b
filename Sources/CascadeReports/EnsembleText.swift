import CascadeCore
import CascadeExperiments
import Foundation

/// The ensemble parts of a screen's renderings (`cascade knockouts --ensemble`).
extension ScreenResult {
    /// `{"members", "distinct", "failed", "simulations", "seconds", "agreement_at_least_0.8", "calls"}`.
    func ensembleJSON(_ a: EnsembleAgreement) -> String {
        let t = EnsembleScreen.tally(self)
        return "{\"file\": \"\(jsonEscape(a.ensembleFile))\", \"mapping\": \"\(jsonEscape(a.mappingFile))\", \"members\": \(a.members), "
            + "\"distinct\": \(a.distinct), \"failed\": \(a.failed.count), \"simulations\": \(a.simulations), "
            + "\"seconds\": \(formatNumber(a.seconds)), \"calls\": \(t.total), \"agreement_at_least_0.8\": \(t.atLeast)}"
    }

    /// A second grid: per condition and readout one character per time, the share of members
    /// whose call equals the nominal one in tenths (0-9, * for all), then the calls below 0.8.
    func ensembleTable() -> String {
        guard let a = ensemble else { return "" }
        let nameWidth = max(12, conditions.map(\.condition.id.count).max() ?? 0) + 2
        let width = max(5, times.count + 1)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
        let cols = readouts.map { max(width, $0.count + 1) }
        var out = "\n\nEnsemble agreement: the share of \(a.members - a.failed.count) members of \(a.ensembleFile) "
        out += "(\(a.distinct) distinct parameter sets) whose call equals the call above, in tenths per time "
        out += "(0-9: below 0.1 ... 0.9-0.99; *: all members agree).\n\n"
        out += pad("condition", nameWidth) + zip(readouts, cols).map { pad($0, $1) }.joined() + "\n"
        for c in conditions {
            var row = pad(c.condition.id, nameWidth)
            for ri in readouts.indices {
                var cell = ""
                for ti in times.indices {
                    guard c.failure == nil, let g = c.effects[ti * readouts.count + ri].agreement else { cell += "?"; continue }
                    cell += g >= 1 ? "*" : String(min(9, Int((g * 10).rounded(.down))))
                }
                row += pad(cell, cols[ri])
            }
            out += row + "\n"
        }
        let t = EnsembleScreen.tally(self)
        out += "\n\(t.atLeast) of \(t.total) calls have agreement ≥ 0.8"
        if !t.below.isEmpty {
            out += "; below 0.8:\n"
            for b in t.below.sorted(by: { $0.agreement < $1.agreement }) {
                out += "  \(b.condition) \(b.readout) at \(formatDuration(b.time)): \(b.call.rawValue), agreement \(String(format: "%.2f", b.agreement))\n"
            }
        } else {
            out += "\n"
        }
        for f in a.failed.prefix(5) { out += "member \(f.member) failed: \(f.reason)\n" }
        if a.failed.count > 5 { out += "(\(a.failed.count - 5) more members failed)\n" }
        out += String(format: "ensemble: %d simulations in %.2f s\n", a.simulations, a.seconds)
        return out
    }
}

extension ScreenReport {
    /// A note on the ensemble and one heat map of agreement per readout time.
    static func ensembleSection(_ r: ScreenResult) -> String {
        guard let a = r.ensemble else { return "" }
        let t = EnsembleScreen.tally(r)
        var body = "<h2>Agreement over the calibrated ensemble</h2>\n"
        body += "<p>The screen was also run for each of \(a.members) parameter sets of <code>\(SVG.escape(a.ensembleFile))</code> "
        body += "(\(a.distinct) distinct; mapped to the model by <code>\(SVG.escape(a.mappingFile))</code>)"
        if !a.failed.isEmpty { body += ", \(a.failed.count) of which failed and are left out" }
        body += ". Each cell is the share of members whose call equals the call of the model's own parameters: "
        body += "a call with low agreement depends on constants the literature data do not pin down. "
        body += "\(t.atLeast) of \(t.total) calls have agreement ≥ 0.8. Colours run over the 0-1 part of the bar above: "
        body += "white, no member agrees; full blue, every member agrees; the letter is the model's own call.</p>\n"
        for (ti, time) in r.times.enumerated() {
            let (values, labels) = grid(r, time: ti, \.agreement)
            body +=
                SVG.heatMap(
                    title: "agreement at \(formatDuration(time))", rows: r.conditions.map(\.condition.id), columns: r.readouts, values: values,
                    labels: labels) + "\n"
        }
        return body
    }
}
