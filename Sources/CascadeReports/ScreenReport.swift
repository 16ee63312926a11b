import CascadeCore
import CascadeExperiments
import Foundation

/// One self-contained HTML file for a knockout screen: a heat map of the retained effect
/// (conditions × readouts) per readout time, and trajectories of every readout under the
/// reference and each single inhibitor. Opens in a browser with no network.
public enum ScreenReport {
    /// Times at which to keep trajectories for the plots: log-spaced from one minute after the
    /// treatment to the last readout.
    public static func plotTimes(until last: Double, points: Int = 80) -> [Double] {
        guard last > 60 else { return [] }
        return (0 ..< points).map { 60 * pow(last / 60, Double($0) / Double(points - 1)) }
    }

    public static func html(_ r: ScreenResult, title: String, experimentFile: String) -> String {
        var body = "<h1>\(SVG.escape(title))</h1>\n"
        body += "<p>Experiment: <code>\(SVG.escape(experimentFile))</code>. \(r.conditions.count) conditions, \(r.simulations) simulations. "
        body += "Readout times: \(r.times.map(formatDuration).joined(separator: ", ")). "
        body += "Each cell is the share of ketamine's uninhibited effect (log2 fold change vs vehicle) retained under the condition: "
        body += "blue = retained, white = blocked, red = enhanced, brown = reversed, grey = ketamine has no effect on this readout without inhibitors. "
        body += "Letters: C changed, P partial, B blocked, O occluded (the inhibitor alone mimics the effect), · unchanged.</p>\n"

        // Heat maps.
        for (ti, t) in r.times.enumerated() {
            let rows = r.conditions.map(\.condition.id)
            var values: [[Double?]] = [], labels: [[String]] = []
            for c in r.conditions {
                if c.failure != nil {
                    values.append(Array(repeating: nil, count: r.readouts.count))
                    labels.append(Array(repeating: "?", count: r.readouts.count))
                    continue
                }
                let effects = c.effects[(ti * r.readouts.count) ..< ((ti + 1) * r.readouts.count)]
                values.append(effects.map(\.retained))
                labels.append(effects.map(\.call.letter))
            }
            body += "<h2>Retained effect at \(formatDuration(t))</h2>\n"
            body += SVG.heatMap(title: "retained share at \(formatDuration(t))", rows: rows, columns: r.readouts, values: values, labels: labels) + "\n"
        }

        // Trajectories: reference and single inhibitors, treated (solid) and vehicle (dashed).
        body += "<h2>Trajectories after ketamine (solid) and vehicle (dashed)</h2>\n<div class=\"grid\">\n"
        let shown = r.conditions.filter { $0.failure == nil && $0.condition.inhibitors.count <= 1 }
        let positive = r.trajectoryTimes.enumerated().filter { $0.element > 0 }
        let x = positive.map { $0.element / 3600 }
        let ticks = [1.0 / 60, 0.5, 2, 24, 72, 168].filter { t in x.contains { $0 >= t } }
        for (ri, readout) in r.readouts.enumerated() {
            var series: [SVG.Series] = []
            for (k, c) in shown.enumerated() {
                let color = SVG.palette[k % SVG.palette.count]
                let w = c.condition.id == "none" ? 2.5 : 1.2
                series.append(SVG.Series(label: "\(c.condition.id) ketamine", x: x, y: positive.map { c.treated[$0.offset][ri] }, color: color, width: w))
                series.append(SVG.Series(label: "\(c.condition.id) vehicle", x: x, y: positive.map { c.vehicle[$0.offset][ri] }, color: color, dashed: true, width: 0.8))
            }
            body += SVG.lineChart(title: readout, series: series, logX: true, xTicks: ticks,
                                  xLabel: { h in h < 1 ? "\(Int((h * 60).rounded())) min" : (h < 48 ? "\(Int(h)) h" : "\(Int(h / 24)) d") },
                                  yTitle: readout) + "\n"
        }
        body += "</div>\n<p class=\"legend\">Colours: " + shown.enumerated().map { k, c in
            "<span style=\"color:\(SVG.palette[k % SVG.palette.count])\">■</span> \(SVG.escape(c.condition.id))"
        }.joined(separator: " &nbsp; ") + "</p>\n"
        return page(title: title, body: body)
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
