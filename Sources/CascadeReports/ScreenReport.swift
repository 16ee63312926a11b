import CascadeCore
import CascadeExperiments
import Foundation

/// One self-contained HTML file for a knockout screen: a heat map of the retained effect
/// (conditions × readouts) per readout time, and trajectories of every readout under the
/// reference and each single inhibitor. Opens in a browser with no network.
public enum ScreenReport {
    /// Times at which to keep trajectories for the plots, on a linear time axis from the
    /// protocol's start: every minute for the first two hours after `start`, then `points`
    /// evenly spaced to the last readout.
    public static func plotTimes(from start: Double = 0, until last: Double, points: Int = 300) -> [Double] {
        guard last > start else { return [] }
        var t = Set<Double>()
        var x = start
        while x <= min(last, start + 9000) { t.insert(x); x += 60 }
        for k in 0 ... points { t.insert(start + (last - start) * Double(k) / Double(points)) }
        return t.sorted()
    }

    /// One heat map's cells at readout time `ti`: a value per condition and readout (nil for a
    /// failed condition) and the call's letter ("?" when failed).
    static func grid(_ r: ScreenResult, time ti: Int, _ value: KeyPath<Effect, Double?>) -> (values: [[Double?]], labels: [[String]]) {
        let n = r.readouts.count
        var values: [[Double?]] = [], labels: [[String]] = []
        for c in r.conditions {
            if c.failure != nil {
                values.append(Array(repeating: nil, count: n))
                labels.append(Array(repeating: "?", count: n))
                continue
            }
            let effects = c.effects[(ti * n) ..< ((ti + 1) * n)]
            values.append(effects.map { $0[keyPath: value] })
            labels.append(effects.map(\.call.letter))
        }
        return (values, labels)
    }

    public static func html(_ r: ScreenResult, title: String, experimentFile: String) -> String {
        var body = "<h1>\(SVG.escape(title))</h1>\n"
        body += "<p>Experiment: <code>\(SVG.escape(experimentFile))</code>. \(r.conditions.count) conditions, \(r.simulations) simulations. "
        body += "Readout times: \(r.times.map(formatDuration).joined(separator: ", ")). "
        body += "Each cell is the share of \(SVG.escape(r.treatment))'s uninhibited effect (log2 fold change vs vehicle) retained under the condition, "
        body += "coloured on the bar below; grey: \(SVG.escape(r.treatment)) has no effect on this readout without inhibitors. "
        body += "Letters: C changed, P partial, B blocked, O occluded (the inhibitor alone mimics the effect), · unchanged; "
        body += "hover a cell for its value.</p>\n"
        let thresholds = r.thresholdLine()
        if !thresholds.isEmpty { body += "<p>" + SVG.escape(thresholds.trimmingCharacters(in: .whitespacesAndNewlines)) + "</p>\n" }
        body += SVG.retainedColorBar() + "\n"
        if r.ensemble != nil { body += ensembleSection(r) }

        // Heat maps.
        for (ti, t) in r.times.enumerated() {
            let rows = r.conditions.map(\.condition.id)
            let (values, labels) = grid(r, time: ti, \.retained)
            body += "<h2>Retained effect at \(formatDuration(t))</h2>\n"
            body += SVG.heatMap(title: "retained share at \(formatDuration(t))", rows: rows, columns: r.readouts, values: values, labels: labels) + "\n"
        }

        body += doseResponseSection(r)

        // Trajectories: reference and single inhibitors, treated (solid) and vehicle (dashed), on
        // a linear time axis from the protocol's start, with the exposure windows shaded.
        body += "<h2>Trajectories after \(SVG.escape(r.treatment)) (solid) and vehicle (dashed)</h2>\n"
        body += "<p>Time in hours from the \(SVG.escape(r.treatment)) addition (0); shaded: "
        body += r.exposures.map { "<span style=\"background:\($0.color)\">&nbsp;&nbsp;&nbsp;&nbsp;</span> \(SVG.escape($0.label))" }.joined(separator: ", ")
        body += ". Levels in the model's units (concentrations in µM; phosphorylated fractions and relative levels unitless).</p>\n<div class=\"grid\">\n"
        let shown = r.conditions.filter { $0.failure == nil && $0.condition.inhibitors.count <= 1 && $0.condition.steps.isEmpty }
        let x = r.trajectoryTimes.map { $0 / 3600 }
        let ticks = SVG.niceTicks(x.first ?? 0, x.last ?? 1, count: 6)
        let bands = r.exposures.map { SVG.Band(from: $0.from / 3600, to: $0.to / 3600, color: $0.color, label: $0.label) }
        for (ri, readout) in r.readouts.enumerated() {
            var series: [SVG.Series] = []
            for (k, c) in shown.enumerated() {
                let color = SVG.palette[k % SVG.palette.count]
                let w = c.condition.id == "none" ? 2.5 : 1.2
                series.append(SVG.Series(label: "\(c.condition.id) \(r.treatment)", x: x, y: c.treated.map { $0[ri] }, color: color, width: w))
                series.append(SVG.Series(label: "\(c.condition.id) vehicle", x: x, y: c.vehicle.map { $0[ri] }, color: color, dashed: true, width: 0.8))
            }
            // The first hours (the exposure and the fast responses), then the whole protocol.
            let early = min(4, x.last ?? 4)
            let zoomed = series.map { s -> SVG.Series in
                var z = s
                let keep = s.x.indices.filter { s.x[$0] <= early }
                z.x = keep.map { s.x[$0] }
                z.y = keep.map { s.y[$0] }
                return z
            }
            body +=
                "<div>"
                + SVG.lineChart(
                    title: "\(readout), first \(SVG.tickText(early)) h", series: zoomed,
                    xTicks: SVG.niceTicks(x.first ?? 0, early, count: 5), xLabel: { SVG.tickText($0) }, yTitle: readout,
                    xTitle: "time after \(r.treatment) (h)", bands: bands)
            body +=
                SVG.lineChart(
                    title: "\(readout), whole protocol", series: series, xTicks: ticks, xLabel: { SVG.tickText($0) },
                    yTitle: readout, xTitle: "time after \(r.treatment) (h)", bands: bands) + "</div>\n"
        }
        body +=
            "</div>\n<p class=\"legend\">Colours: "
            + shown.enumerated().map { k, c in
                "<span style=\"color:\(SVG.palette[k % SVG.palette.count])\">■</span> \(SVG.escape(c.condition.id))"
            }.joined(separator: " &nbsp; ") + "</p>\n"
        return page(title: title, body: body)
    }

    /// Dose-response charts: each readout's change against the treatment's concentration, and
    /// each inhibitor's blockade of it against the inhibitor's, one colour per readout time;
    /// points simulated, lines the fitted Hill curves, on a log concentration axis.
    static func doseResponseSection(_ r: ScreenResult) -> String {
        let timeColors = r.times.indices.map { SVG.palette[($0 + 1) % SVG.palette.count] }
        func legend() -> String {
            "<p class=\"legend\">Readout times: "
                + r.times.enumerated().map { ti, t in "<span style=\"color:\(timeColors[ti])\">■</span> \(formatDuration(t))" }
                .joined(separator: " &nbsp; ") + " &nbsp; (● simulated, — fitted Hill curve)</p>\n"
        }
        func chart(
            title: String, concentrations: [[Double]], values: [[Double]], curves: [((Double) -> Double?)?], times: [Int], xTitle: String,
            yTitle: String, fits: [String]
        ) -> String {
            let all = concentrations.flatMap { $0 }.filter { $0 > 0 }
            guard let lo = all.min(), let hi = all.max(), hi > lo else { return "" }
            var series: [SVG.Series] = []
            for (k, ti) in times.enumerated() {
                let color = timeColors[ti]
                series.append(
                    SVG.Series(label: formatDuration(r.times[ti]), x: concentrations[k], y: values[k], color: color, markers: true))
                if let curve = curves[k] {
                    let xs = (0 ... 60).map { lo * pow(hi / lo, Double($0) / 60) }
                    series.append(
                        SVG.Series(label: "\(formatDuration(r.times[ti])) fit", x: xs, y: xs.map { curve($0) ?? .nan }, color: color, width: 1.2))
                }
            }
            return "<div>"
                + SVG.lineChart(
                    title: title, series: series, width: 380, logX: true, xTicks: SVG.logTicks(lo, hi), xLabel: { SVG.tickText($0) },
                    yTitle: yTitle, xTitle: xTitle)
                + "<p class=\"legend\">" + fits.map(SVG.escape).joined(separator: "<br>") + "</p></div>\n"
        }
        /// One readout's dose response at one time, whichever drug it is of.
        struct Curve {
            var readout: String
            var time: Double
            var concentrations: [Double]
            var values: [Double]
            var predicted: ((Double) -> Double?)?
            /// The fitted constants in words (nil without a fit).
            var fit: String?
        }
        /// A heading, an explanation, the legend and one chart per readout with a fit at some time.
        func section(_ drug: String, _ curves: [Curve], intro: String, yTitle: String) -> String {
            let shown = r.readouts.filter { id in curves.contains { $0.readout == id && $0.predicted != nil } }
            guard !shown.isEmpty else { return "" }
            var out = "<h2>\(SVG.escape(drug)) dose response</h2>\n<p>\(intro)</p>\n" + legend() + "<div class=\"grid\">\n"
            for id in shown {
                let rows = r.times.indices.compactMap { ti in curves.first { $0.readout == id && $0.time == r.times[ti] }.map { (ti, $0) } }
                out += chart(
                    title: id, concentrations: rows.map(\.1.concentrations), values: rows.map(\.1.values), curves: rows.map(\.1.predicted),
                    times: rows.map(\.0), xTitle: "\(drug) (µM, log scale)", yTitle: yTitle,
                    fits: rows.compactMap { ti, c in c.fit.map { "\(formatDuration(r.times[ti])): \($0)" } })
            }
            return out + "</div>\n"
        }
        func constants(_ name: String, _ c: Double?, _ hill: Double?, _ max: Double?) -> String? {
            c.map { "\(name) " + String(format: "%.3g µM, Hill %.2f, max %.2f", $0, hill ?? 0, max ?? 0) }
        }
        var out = ""
        let byTreatment = Dictionary(grouping: r.treatmentDoseResponses, by: \.treatment)
        for t in byTreatment.keys.sorted() {
            let curves = byTreatment[t]!.map { d in
                Curve(
                    readout: d.readout, time: d.time, concentrations: d.concentrations, values: d.log2fc,
                    predicted: d.ec50 == nil ? nil : { d.predicted($0) }, fit: constants("EC50", d.ec50, d.hill, d.maxLog2fc))
            }
            out += section(
                t, curves,
                intro: "Each readout's change (log2 fold change vs vehicle) after \(SVG.escape(t)) at each concentration, without inhibitors; "
                    + "curves: log2 fc = max · cʰ / (cʰ + EC50ʰ) fitted per readout time (no curve where the change stays below the detection threshold).",
                yTitle: "log2 fold change")
        }
        let byInhibitor = Dictionary(grouping: r.doseResponses, by: \.inhibitor)
        for d in byInhibitor.keys.sorted() {
            let curves = byInhibitor[d]!.map { x in
                Curve(
                    readout: x.readout, time: x.time, concentrations: x.concentrations, values: x.block,
                    predicted: x.ic50 == nil ? nil : { x.predicted($0) }, fit: constants("IC50", x.ic50, x.hill, x.maxBlock))
            }
            out += section(
                d, curves,
                intro: "The share of \(SVG.escape(r.treatment))'s effect each concentration of \(SVG.escape(d)) removes (block = 1 − retained); "
                    + "curves: block = max · cʰ / (cʰ + IC50ʰ) fitted per readout time.",
                yTitle: "block (1 − retained)")
        }
        return out
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVG.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        .grid { display: flex; flex-wrap: wrap; gap: 8px; }
        code { background: #f4f4f4; padding: 1px 4px; }
        .legend { font-size: 12px; line-height: 1.8; }
        </style></head>
        <body>
        \(body)
        </body></html>

        """
    }
}
