import CascadeCore
import Foundation

/// Minimal SVG building: line charts and heat maps, self-contained (no scripts, no fonts fetched).
public enum SVG {
    /// Escapes text for XML.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.2f", v) }

    /// A qualitative palette: black for the reference, then Kelly's colours of maximum contrast
    /// (Kelly 1965) without the near-white and the pale ones, so up to 18 series stay apart.
    public static let palette = [
        "#000000", "#0067A5", "#F38400", "#008856", "#BE0032", "#875692", "#F3C300", "#882D17",
        "#8DB600", "#E68FAC", "#604E97", "#F6A600", "#B3446C", "#2B3D26", "#E25822", "#654522",
        "#848482", "#A1CAF1",
    ]

    /// Round tick values (1, 2 or 5 × 10ⁿ apart) covering [lo, hi], about `count` of them.
    public static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count))
        let mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// A tick value without spurious digits.
    static func tickText(_ v: Double) -> String {
        let t = String(format: "%.6g", v)
        return t == "-0" ? "0" : t
    }

    public struct Series {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var color: String
        public var dashed: Bool
        public var width: Double
        /// Points (circles) instead of a line.
        public var markers: Bool
        public init(label: String, x: [Double], y: [Double], color: String, dashed: Bool = false, width: Double = 1.5, markers: Bool = false) {
            self.label = label; self.x = x; self.y = y; self.color = color; self.dashed = dashed; self.width = width
            self.markers = markers
        }
    }

    /// Round ticks for a log axis over [lo, hi] (both positive): every decade, with 2 and 5 in
    /// between when the range spans at most two decades.
    public static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi >= lo, lo.isFinite, hi.isFinite else { return [] }
        let dense = log10(hi / lo) <= 2
        var out: [Double] = []
        var decade = pow(10, log10(lo).rounded(.down))
        while decade <= hi * (1 + 1e-9) {
            for m in dense ? [1.0, 2, 5] : [1.0] {
                let v = (m * decade * 1e12).rounded() / 1e12
                if v >= lo * (1 - 1e-9), v <= hi * (1 + 1e-9) { out.append(v) }
            }
            decade *= 10
        }
        return out
    }

    /// A line chart with a log-scaled x axis when `logX`, ticks labelled by `xLabel(value)`.
    /// A shaded band on a line chart's x axis (e.g. the time a drug is in the bath).
    public struct Band {
        public var from: Double
        public var to: Double
        public var color: String
        public var label: String
        public init(from: Double, to: Double, color: String, label: String) {
            self.from = from; self.to = to; self.color = color; self.label = label
        }
    }

    public static func lineChart(
        title: String, series: [Series], width: Double = 360, height: Double = 230,
        logX: Bool = false, xTicks: [Double], xLabel: (Double) -> String, yTitle: String,
        xTitle: String = "", bands: [Band] = []
    ) -> String {
        let left = 62.0, right = 10.0, top = 24.0, bottom = 44.0
        let pw = width - left - right, ph = height - top - bottom
        let xs = series.flatMap(\.x).filter { !logX || $0 > 0 }
        let ys = series.flatMap(\.y).filter(\.isFinite)
        guard let x0 = xs.min(), let x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else {
            return
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\"><text x=\"10\" y=\"20\">\(escape(title)): no data</text></svg>"
        }
        if y1 - y0 < 1e-12 * max(1, abs(y1)) { y0 -= 0.5 * max(abs(y0), 1e-9); y1 += 0.5 * max(abs(y1), 1e-9) }
        let pad = 0.05 * (y1 - y0)
        y0 -= pad; y1 += pad
        func tx(_ x: Double) -> Double {
            let t = logX ? (log10(x) - log10(x0)) / max(1e-12, log10(x1) - log10(x0)) : (x - x0) / max(1e-300, x1 - x0)
            return left + t * pw
        }
        func ty(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"10\">"
        out += "<text x=\"\(f(left))\" y=\"14\" font-size=\"12\" font-weight=\"bold\">\(escape(title))</text>"
        for b in bands {
            let a = tx(Swift.max(b.from, x0)), z = tx(Swift.min(b.to, x1))
            guard z > a else { continue }
            out += "<rect x=\"\(f(a))\" y=\"\(f(top))\" width=\"\(f(z - a))\" height=\"\(f(ph))\" fill=\"\(b.color)\"><title>\(escape(b.label))</title></rect>"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#888\"/>"
        for t in xTicks where t >= x0 && t <= x1 {
            let x = tx(t)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top + ph))\" x2=\"\(f(x))\" y2=\"\(f(top + ph + 4))\" stroke=\"#888\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(f(top + ph + 15))\" text-anchor=\"middle\">\(escape(xLabel(t)))</text>"
        }
        for v in niceTicks(y0, y1) {
            out += "<line x1=\"\(f(left - 4))\" y1=\"\(f(ty(v)))\" x2=\"\(f(left))\" y2=\"\(f(ty(v)))\" stroke=\"#888\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(ty(v) + 3))\" text-anchor=\"end\">\(tickText(v))</text>"
        }
        if !xTitle.isEmpty {
            out += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(top + ph + 32))\" text-anchor=\"middle\">\(escape(xTitle))</text>"
        }
        out += "<text x=\"12\" y=\"\(f(top + ph / 2))\" transform=\"rotate(-90 12 \(f(top + ph / 2)))\" text-anchor=\"middle\">\(escape(yTitle))</text>"
        for s in series {
            let kept = zip(s.x, s.y).filter { (!logX || $0.0 > 0) && $0.1.isFinite }
            if s.markers {
                for (x, y) in kept {
                    out +=
                        "<circle cx=\"\(f(tx(x)))\" cy=\"\(f(ty(y)))\" r=\"3\" fill=\"\(s.color)\"><title>\(escape(s.label)): \(tickText(x)), \(String(format: "%.3g", y))</title></circle>"
                }
                continue
            }
            let pts = kept.map { "\(f(tx($0.0))),\(f(ty($0.1)))" }
            guard pts.count > 1 else { continue }
            out +=
                "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(f(s.width))\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(pts.joined(separator: " "))\"><title>\(escape(s.label))</title></polyline>"
        }
        return out + "</svg>"
    }

    /// A heat map of values in [-1, 2] (retained share), rows × columns, each cell with a short label.
    public static func heatMap(
        title: String, rows: [String], columns: [String], values: [[Double?]], labels: [[String]],
        cell: Double = 26
    ) -> String {
        let left = 8.0 + 7.0 * Double(rows.map(\.count).max() ?? 4), top = 30.0 + 6.0 * Double(columns.map(\.count).max() ?? 4)
        let width = left + cell * Double(columns.count) + 6.0 * Double(columns.map(\.count).max() ?? 4), height = top + cell * Double(rows.count) + 10
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"10\">"
        out += "<text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"bold\">\(escape(title))</text>"
        for (j, c) in columns.enumerated() {
            let x = left + cell * (Double(j) + 0.5)
            out += "<text x=\"\(f(x))\" y=\"\(f(top - 4))\" transform=\"rotate(-60 \(f(x)) \(f(top - 4)))\">\(escape(c))</text>"
        }
        for (i, r) in rows.enumerated() {
            let y = top + cell * Double(i)
            out += "<text x=\"\(f(left - 4))\" y=\"\(f(y + cell * 0.65))\" text-anchor=\"end\">\(escape(r))</text>"
            for j in columns.indices {
                let x = left + cell * Double(j)
                let color = values[i][j].map(retainedColor) ?? "#eeeeee"
                let tip = values[i][j].map { String(format: "%.2f retained", $0) } ?? "no ketamine effect to retain"
                out +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(color)\"><title>\(escape(r)) · \(escape(columns[j])): \(tip)</title></rect>"
                out += "<text x=\"\(f(x + cell / 2 - 0.5))\" y=\"\(f(y + cell * 0.62))\" text-anchor=\"middle\">\(escape(labels[i][j]))</text>"
            }
        }
        return out + "</svg>"
    }

    /// The heat map's colour bar: retained share from −1 to 2 with round ticks, and the grey of
    /// "no effect to retain"; every colour a cell can take is on it (values beyond the ends take
    /// the end colours).
    public static func retainedColorBar(width: Double = 640) -> String {
        let left = 30.0, barW = 330.0, top = 18.0, h = 14.0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"58\" font-family=\"sans-serif\" font-size=\"10\">"
        out += "<text x=\"\(f(left))\" y=\"12\">retained share of ketamine's effect (log2 fold change under the condition / without inhibitors)</text>"
        let steps = 120
        for k in 0 ..< steps {
            let v = -1 + 3 * (Double(k) + 0.5) / Double(steps)
            out +=
                "<rect x=\"\(f(left + barW * Double(k) / Double(steps)))\" y=\"\(f(top))\" width=\"\(f(barW / Double(steps) + 0.3))\" height=\"\(f(h))\" fill=\"\(retainedColor(v))\"/>"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(barW))\" height=\"\(f(h))\" fill=\"none\" stroke=\"#888\"/>"
        for (v, label) in [(-1.0, "−1 reversed"), (0, "0 blocked"), (0.25, ""), (0.75, ""), (1, "1 retained"), (2, "2 enhanced")] {
            let x = left + barW * (v + 1) / 3
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top + h))\" x2=\"\(f(x))\" y2=\"\(f(top + h + 4))\" stroke=\"#444\"/>"
            if !label.isEmpty { out += "<text x=\"\(f(x))\" y=\"\(f(top + h + 15))\" text-anchor=\"middle\">\(label)</text>" }
        }
        out += "<rect x=\"\(f(left + barW + 16))\" y=\"\(f(top))\" width=\"\(f(h))\" height=\"\(f(h))\" fill=\"#eeeeee\" stroke=\"#888\"/>"
        out += "<text x=\"\(f(left + barW + 34))\" y=\"\(f(top + 11))\">no effect to retain</text>"
        return out + "</svg>"
    }

    /// White at 0 retained, blue at 1 (fully retained), red above 1, grey-brown below 0 (reversed).
    static func retainedColor(_ r: Double) -> String {
        func mix(_ a: (Double, Double, Double), _ b: (Double, Double, Double), _ t: Double) -> String {
            let t = max(0, min(1, t))
            let c = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t)
            return String(format: "#%02x%02x%02x", Int(c.0), Int(c.1), Int(c.2))
        }
        if r < 0 { return mix((255, 255, 255), (166, 120, 80), -r) }
        if r <= 1 { return mix((255, 255, 255), (70, 130, 200), r) }
        return mix((70, 130, 200), (200, 60, 60), r - 1)
    }
}
