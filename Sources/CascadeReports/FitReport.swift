import CascadeEstimation
import Foundation

/// The HTML report of a fit (`cascade fit`, `cascade profile`): waterfall plot, parameters against
/// their bounds, fits against data per observable and condition, and profiles with the 95%
/// threshold. Self-contained: inline SVG, no scripts.
public enum FitReport {
    public struct Input {
        public var title: String
        public var space: ParameterSpace
        public var results: [StartResult]
        public var summary: FitFiles.Summary?
        public var curves: [FitCurve]
        public var profiles: [ParameterProfile]
        public init(
            title: String, space: ParameterSpace, results: [StartResult], summary: FitFiles.Summary?, curves: [FitCurve],
            profiles: [ParameterProfile]
        ) {
            self.title = title; self.space = space; self.results = results; self.summary = summary; self.curves = curves
            self.profiles = profiles
        }
    }

    static func f(_ v: Double) -> String { SVG.f(v) }
    static func g(_ v: Double) -> String { String(format: "%.6g", v) }

    /// A scatter/line plot in a box with linear axes.
    struct Plot {
        var width = 300.0, height = 200.0
        var title: String
        var xTitle: String
        var yTitle: String
        var xRange: (Double, Double)
        var yRange: (Double, Double)
        var body = ""
        let left = 58.0, right = 10.0, top = 22.0, bottom = 34.0

        init(title: String, xTitle: String, yTitle: String, xs: [Double], ys: [Double], width: Double = 300, height: Double = 200) {
            self.title = title; self.xTitle = xTitle; self.yTitle = yTitle; self.width = width; self.height = height
            let fx = xs.filter(\.isFinite), fy = ys.filter(\.isFinite)
            var x0 = fx.min() ?? 0, x1 = fx.max() ?? 1, y0 = fy.min() ?? 0, y1 = fy.max() ?? 1
            if x1 - x0 <= 1e-12 * max(1, abs(x1)) { x0 -= 0.5; x1 += 0.5 }
            if y1 - y0 <= 1e-12 * max(1, abs(y1)) { y0 -= max(0.5, abs(y0) * 0.1); y1 += max(0.5, abs(y1) * 0.1) }
            let py = 0.06 * (y1 - y0)
            xRange = (x0, x1); yRange = (y0 - py, y1 + py)
        }

        func tx(_ x: Double) -> Double { left + (x - xRange.0) / (xRange.1 - xRange.0) * (width - left - right) }
        func ty(_ y: Double) -> Double { top + (1 - (y - yRange.0) / (yRange.1 - yRange.0)) * (height - top - bottom) }

        mutating func line(_ xs: [Double], _ ys: [Double], color: String, dashed: Bool = false, label: String = "") {
            let pts = zip(xs, ys).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(f(tx($0.0))),\(f(ty($0.1)))" }
            guard pts.count > 1 else { return }
            body +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(pts.joined(separator: " "))\"><title>\(SVG.escape(label))</title></polyline>"
        }

        mutating func points(_ xs: [Double], _ ys: [Double], color: String, radius: Double = 2.5, open: Bool = false, label: String = "") {
            for (x, y) in zip(xs, ys) where x.isFinite && y.isFinite {
                body +=
                    "<circle cx=\"\(f(tx(x)))\" cy=\"\(f(ty(y)))\" r=\"\(f(radius))\" \(open ? "fill=\"none\" stroke=\"\(color)\"" : "fill=\"\(color)\"")><title>\(SVG.escape(label.isEmpty ? "\(g(x)), \(g(y))" : label))</title></circle>"
            }
        }

        var svg: String {
            let pw = width - left - right, ph = height - top - bottom
            var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"10\">"
            out += "<text x=\"\(f(left))\" y=\"14\" font-size=\"11\" font-weight=\"bold\">\(SVG.escape(title))</text>"
            out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#888\"/>"
            // Round ticks (1, 2 or 5 × 10ⁿ apart), as in every other chart of the reports.
            for v in SVG.niceTicks(yRange.0, yRange.1, count: 4) {
                out += "<text x=\"\(f(left - 4))\" y=\"\(f(ty(v) + 3))\" text-anchor=\"end\">\(SVG.tickText(v))</text>"
            }
            for xv in SVG.niceTicks(xRange.0, xRange.1, count: 4) {
                out += "<text x=\"\(f(tx(xv)))\" y=\"\(f(top + ph + 13))\" text-anchor=\"middle\">\(SVG.tickText(xv))</text>"
            }
            out += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 4))\" text-anchor=\"middle\">\(SVG.escape(xTitle))</text>"
            out += "<text x=\"11\" y=\"\(f(top + ph / 2))\" transform=\"rotate(-90 11 \(f(top + ph / 2)))\" text-anchor=\"middle\">\(SVG.escape(yTitle))</text>"
            return out + body + "</svg>"
        }
    }

    public static func html(_ input: Input) -> String {
        let space = input.space
        let ordered = FitFiles.ordered(input.results).filter { $0.value.isFinite }
        var sections: [String] = []
        // Summary.
        if let s = input.summary {
            var rows = [
                ("best llh", s.best_llh.map { String(format: "%.6f", $0) } ?? "none"),
                ("llh at the table's nominal values", s.nominal_llh.map { String(format: "%.6f", $0) } ?? "-"),
                ("starts", "\(s.starts) (seed \(s.seed))"),
                ("converged (optimiser criterion)", "\(s.converged)"),
                ("within \(FitFiles.sameOptimum) of the best llh", "\(s.at_best)"),
                ("wall time", String(format: "%.1f s", s.seconds)),
            ]
            if let b = s.best_start { rows.append(("best start", "\(b)")) }
            sections.append("<h2>Summary</h2><table>" + rows.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined() + "</table>")
        }
        // Waterfall.
        if let best = ordered.first {
            let ys = ordered.map { log10(1 + max(0, $0.value - best.value)) }
            let xs = ordered.indices.map { Double($0 + 1) }
            var p = Plot(
                title: "Waterfall: starts sorted by llh", xTitle: "start (rank)", yTitle: "log10(1 + best llh − llh)",
                xs: xs, ys: ys + [0], width: 520, height: 260)
            p.line(xs, ys, color: "#999")
            let near = ordered.indices.filter { ordered[$0].value - best.value <= FitFiles.sameOptimum }
            let far = ordered.indices.filter { ordered[$0].value - best.value > FitFiles.sameOptimum }
            p.points(far.map { xs[$0] }, far.map { ys[$0] }, color: "#0072B2", label: "")
            p.points(near.map { xs[$0] }, near.map { ys[$0] }, color: "#D55E00", label: "")
            sections.append(
                "<h2>Waterfall</h2><p>Each point is one start, best first; red points reach the best llh (within \(FitFiles.sameOptimum)). A plateau of many starts at the left means the optimum was found repeatedly.</p>"
                    + p.svg)
        }
        // Parameters against bounds.
        if let best = ordered.first {
            let rowHeight = 18.0, labelWidth = 190.0, track = 360.0
            let h = Double(space.dimension) * rowHeight + 30
            var svg =
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(labelWidth + track + 140))\" height=\"\(f(h))\" font-family=\"sans-serif\" font-size=\"10\">"
            let topStarts = ordered.filter { $0.value - best.value <= FitFiles.sameOptimum }
            for k in 0 ..< space.dimension {
                let y = 20 + Double(k) * rowHeight
                let lo = space.lower[k], hi = space.upper[k]
                func px(_ v: Double) -> Double { labelWidth + (v - lo) / (hi - lo) * track }
                svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(SVG.escape(space.ids[k])) (\(space.scales[k].rawValue))</text>"
                svg += "<line x1=\"\(f(labelWidth))\" y1=\"\(f(y))\" x2=\"\(f(labelWidth + track))\" y2=\"\(f(y))\" stroke=\"#bbb\" stroke-width=\"6\"/>"
                for s in topStarts { svg += "<circle cx=\"\(f(px(s.x[k])))\" cy=\"\(f(y))\" r=\"3\" fill=\"#56B4E9\" opacity=\"0.6\"/>" }
                if space.nominal[k].isFinite {
                    svg +=
                        "<circle cx=\"\(f(px(min(max(space.nominal[k], lo), hi))))\" cy=\"\(f(y))\" r=\"5\" fill=\"none\" stroke=\"#000\"><title>nominal \(g(ParameterSpace.fromScale(space.nominal[k], space.scales[k])))</title></circle>"
                }
                svg +=
                    "<circle cx=\"\(f(px(best.x[k])))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"#D55E00\"><title>best \(g(ParameterSpace.fromScale(best.x[k], space.scales[k])))</title></circle>"
                svg += "<text x=\"\(f(labelWidth + track + 8))\" y=\"\(f(y + 4))\">\(g(ParameterSpace.fromScale(best.x[k], space.scales[k])))</text>"
            }
            svg += "</svg>"
            sections.append(
                "<h2>Parameters against their bounds</h2><p>Each track runs from the lower to the upper bound on the parameter's scale. Red: best fit (value on the right, linear scale); open black: the table's nominal value; blue: the other starts that reach the best llh (spread along a track shows a parameter the data do not determine).</p>"
                    + svg)
        }
        // Fits against data.
        if !input.curves.isEmpty {
            var plots = ""
            for c in input.curves {
                let title = c.observableId + " · " + (c.preequilibrationConditionId.map { $0 + " → " } ?? "") + c.simulationConditionId
                var p = Plot(
                    title: title, xTitle: "time", yTitle: c.observableId, xs: c.times + c.dataTimes.filter(\.isFinite),
                    ys: c.values + c.data, width: 300, height: 200)
                p.line(c.times, c.values, color: "#0072B2", label: "simulation at the best fit")
                p.points(c.dataTimes, c.data, color: "#000", radius: 2.5, open: true)
                plots += p.svg
            }
            sections.append(
                "<h2>Fits against data</h2><p>Line: simulated observable at the best parameters; circles: measurements (steady-state measurements, time inf, are not drawn).</p><div class=\"grid\">"
                    + plots + "</div>")
        }
        // Profiles.
        if !input.profiles.isEmpty {
            var plots = ""
            for prof in input.profiles {
                let xs = prof.points.map(\.value), ys = prof.points.map(\.llh)
                let cut = prof.bestLLH - Profiling.threshold
                var p = Plot(
                    title: prof.id, xTitle: "\(prof.id) (\(input.space.scales[prof.index].rawValue))", yTitle: "llh",
                    xs: xs, ys: ys + [cut], width: 300, height: 200)
                p.line(xs, ys, color: "#0072B2")
                p.points(xs, ys, color: "#0072B2", radius: 2)
                p.line([p.xRange.0, p.xRange.1], [cut, cut], color: "#D55E00", dashed: true, label: "95% threshold")
                plots += p.svg
            }
            sections.append(
                "<h2>Profiles</h2><p>Profile log-likelihood of each parameter (others re-optimised); dashed: the 95% threshold (best llh − χ²₁(0.95)/2 = best − 1.92). Where a profile stays above the threshold up to a bound, the parameter is not identifiable in that direction.</p><div class=\"grid\">"
                    + plots + "</div>")
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(SVG.escape(input.title))</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; color: #222; }
            table { border-collapse: collapse; } th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid #ddd; }
            .grid { display: flex; flex-wrap: wrap; gap: 8px; }
            </style></head><body>
            <h1>\(SVG.escape(input.title))</h1>
            \(sections.joined(separator: "\n"))
            </body></html>

            """
    }
}
