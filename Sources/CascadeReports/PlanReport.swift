import CascadeCore
import CascadeExperiments
import Foundation

/// One self-contained HTML file for a plate plan: the plate as a grid of wells coloured by
/// condition (treated wells filled, untreated wells pale with a coloured ring), a legend, the
/// pairwise separations between hypotheses as a heat map, and the rationale. No network, no scripts.
public enum PlanReport {
    /// A condition: line, readout time and inhibitors; both arms share its colour.
    struct Key: Hashable { var line: Int; var time: Int; var condition: String; var assay: Int }

    /// Distinct colours: hues spaced by the golden angle.
    static func colour(_ i: Int, pale: Bool) -> String {
        let hue = (Double(i) * 137.508).truncatingRemainder(dividingBy: 360)
        return pale ? String(format: "hsl(%.1f,60%%,88%%)", hue) : String(format: "hsl(%.1f,65%%,48%%)", hue)
    }

    public static func plateSVG(_ r: PlanResult) -> String {
        let plate = r.spec.plate
        let pitch = plate.wells == 384 ? 26.0 : 44.0
        let radius = pitch * 0.42
        let left = 30.0, top = 26.0
        let width = left + pitch * Double(plate.columns) + 10, height = top + pitch * Double(plate.rows) + 10
        var keys: [Key] = []
        for c in r.cells {
            let k = Key(line: c.line, time: c.time, condition: c.condition.id, assay: c.assay)
            if !keys.contains(k) { keys.append(k) }
        }
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.f(width))\" height=\"\(SVG.f(height))\" font-family=\"sans-serif\" font-size=\"\(plate.wells == 384 ? 8 : 11)\">"
        for c in 0 ..< plate.columns {
            out += "<text x=\"\(SVG.f(left + pitch * (Double(c) + 0.5)))\" y=\"16\" text-anchor=\"middle\">\(c + 1)</text>"
        }
        for row in 0 ..< plate.rows {
            out += "<text x=\"12\" y=\"\(SVG.f(top + pitch * (Double(row) + 0.5) + 4))\" text-anchor=\"middle\">\(PlateSpec.rowName(row))</text>"
        }
        for w in r.wells {
            let row = Int(w.row.unicodeScalars.first!.value) - 65
            let cx = left + pitch * (Double(w.column - 1) + 0.5), cy = top + pitch * (Double(row) + 0.5)
            guard let ci = w.cell else {
                let fill = w.role == .excluded ? "#dddddd" : "#ffffff"
                out +=
                    "<circle cx=\"\(SVG.f(cx))\" cy=\"\(SVG.f(cy))\" r=\"\(SVG.f(radius))\" fill=\"\(fill)\" stroke=\"#bbbbbb\"><title>\(w.well): \(w.role.rawValue)</title></circle>"
                continue
            }
            let cell = r.cells[ci]
            let k = keys.firstIndex(of: Key(line: cell.line, time: cell.time, condition: cell.condition.id, assay: cell.assay))!
            let fill = colour(k, pale: !cell.treated), stroke = colour(k, pale: false)
            let tip =
                "\(w.well): \(w.role.rawValue), \(w.treatment)\(w.inhibitors.isEmpty ? "" : " + " + PlanResult.describe(cell.condition)), line \(w.line ?? ""), read at \(formatDuration(w.time ?? 0)), replicate \(w.replicate ?? 0)"
            out +=
                "<circle cx=\"\(SVG.f(cx))\" cy=\"\(SVG.f(cy))\" r=\"\(SVG.f(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(cell.treated ? 1 : 2.5)\"><title>\(SVG.escape(tip))</title></circle>"
            out +=
                "<text x=\"\(SVG.f(cx))\" y=\"\(SVG.f(cy + 4))\" text-anchor=\"middle\" fill=\"\(cell.treated ? "#ffffff" : "#222222")\">\(k + 1)\(cell.treated ? "" : "v")</text>"
        }
        return out + "</svg>"
    }

    public static func html(_ r: PlanResult, title: String, experimentFile: String) -> String {
        let s = r.spec
        var body = "<h1>\(SVG.escape(title))</h1>\n"
        body += "<p>Plan: <code>\(SVG.escape(experimentFile))</code>. \(s.plate.wells)-well plate, \(s.plate.replicates) replicate(s) per condition, "
        body +=
            "\(r.usedWells) wells used. Each colour is one condition (line, readout time, assay, inhibitors); filled wells get \(SVG.escape(s.treatmentName)), "
        body += "pale wells with a coloured ring (label ending in v) get vehicle under the same inhibitors. Hover a well for its contents.</p>\n"
        body += "<h2>Plate</h2>\n" + plateSVG(r) + "\n"

        // Legend.
        var keys: [Key] = []
        for c in r.cells {
            let k = Key(line: c.line, time: c.time, condition: c.condition.id, assay: c.assay)
            if !keys.contains(k) { keys.append(k) }
        }
        body +=
            "<h2>Conditions</h2>\n<table><tr><th></th><th>#</th><th>line</th><th>read at</th><th>assay</th><th>inhibitors</th><th>wells (\(SVG.escape(s.treatmentName)) / vehicle)</th></tr>\n"
        for (i, k) in keys.enumerated() {
            let cellsOf = r.cells.indices.filter {
                r.cells[$0].line == k.line && r.cells[$0].time == k.time && r.cells[$0].condition.id == k.condition && r.cells[$0].assay == k.assay
            }
            let cond = r.cells[cellsOf[0]].condition
            let treatedWells = r.wells.filter { w in w.cell.map { cellsOf.contains($0) && r.cells[$0].treated } ?? false }.map(\.well)
            let vehicleWells = r.wells.filter { w in w.cell.map { cellsOf.contains($0) && !r.cells[$0].treated } ?? false }.map(\.well)
            body += "<tr><td><span class=\"sw\" style=\"background:\(colour(i, pale: false))\"></span></td><td>\(i + 1)</td>"
            // The endpoint, and the non-destructive assays that read the same wells first.
            let also = r.wells.first { w in w.cell.map { cellsOf.contains($0) } ?? false }?.alsoRead ?? []
            let assay = s.noise.kinds[k.assay].name + (also.isEmpty ? "" : " (after \(also.joined(separator: ", ")))")
            body += "<td>\(SVG.escape(s.lines[k.line].id))</td><td>\(formatDuration(s.times[k.time]))</td><td>\(SVG.escape(assay))</td>"
            body +=
                "<td>\(SVG.escape(PlanResult.describe(cond)))</td><td>\(treatedWells.joined(separator: " ")) / \(vehicleWells.joined(separator: " "))</td></tr>\n"
        }
        body += "</table>\n"

        // Separation heat map: shade = D / target (capped at 1), label = D.
        let ids = s.hypotheses.map(\.id)
        var values: [[Double?]] = [], labels: [[String]] = []
        for i in ids.indices {
            var vrow: [Double?] = [], lrow: [String] = []
            for j in ids.indices {
                if i == j { vrow.append(nil); lrow.append("-"); continue }
                let p = r.pairs.firstIndex { $0 == (min(i, j), max(i, j)) }!
                vrow.append(min(r.separations[p] / s.targetSeparation, 1))
                lrow.append(String(format: "%.1f", r.separations[p]))
            }
            values.append(vrow)
            labels.append(lrow)
        }
        body += "<h2>Separation between hypotheses (noise units; full blue = target \(String(format: "%.1f", s.targetSeparation)) reached)</h2>\n"
        body += SVG.heatMap(title: "pairwise separation", rows: ids, columns: ids, values: values, labels: labels, cell: 34) + "\n"
        body += "<h2>Rationale</h2>\n<pre>\(SVG.escape(r.rationale()))</pre>\n"
        let page = ScreenReport.page(title: title, body: body)
        return page.replacingOccurrences(
            of: "</style>",
            with:
                "table { border-collapse: collapse; font-size: 12px; } td, th { padding: 2px 8px; text-align: left; }\n.sw { display: inline-block; width: 14px; height: 14px; border-radius: 7px; }\npre { font-size: 11px; background: #f8f8f8; padding: 8px; overflow-x: auto; }\n</style>"
        )
    }
}
