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

    /// A qualitative palette (colour-blind-safe first eight, then repeats with dashes).
    public static let palette = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                                 "#999999", "#882255", "#44AA99", "#117733", "#332288", "#AA4499", "#DDCC77", "#88CCEE"]

    public struct Series {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var color: String
        public var dashed: Bool
        public var width: Double
        public init(label: String, x: [Double], y: [Double], color: String, dashed: Bool = false, width: Double = 1.5) {
            self.label = label; self.x = x; self.y = y; self.color = color; self.dashed = dashed; self.width = width
        }
    }

    /// A line chart with a log-scaled x axis when `logX`, ticks labelled by `xLabel(value)`.
    public static func lineChart(title: String, series: [Series], width: Double = 360, height: Double = 220,
                                 logX: Bool = false, xTicks: [Double], xLabel: (Double) -> String, yTitle: String) -> String {
        let left = 56.0, right = 10.0, top = 24.0, bottom = 34.0
        let pw = width - left - right, ph = height - top - bottom
        let xs = series.flatMap(\.x).filter { !logX || $0 > 0 }
        let ys = series.flatMap(\.y).filter(\.isFinite)
        guard let x0 = xs.min(), let x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\"><text x=\"10\" y=\"20\">\(escape(title)): no data</text></svg>"
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
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#888\"/>"
        for t in xTicks where t >= x0 && t <= x1 {
            let x = tx(t)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top + ph))\" x2=\"\(f(x))\" y2=\"\(f(top + ph + 4))\" stroke=\"#888\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(f(top + ph + 15))\" text-anchor=\"middle\">\(escape(xLabel(t)))</text>"
        }
        for k in 0 ... 4 {
            let v = y0 + (y1 - y0) * Double(k) / 4
            out += "<text x=\"\(f(left - 4))\" y=\"\(f(ty(v) + 3))\" text-anchor=\"end\">\(String(format: "%.3g", v))</text>"
        }
        out += "<text x=\"12\" y=\"\(f(top + ph / 2))\" transform=\"rotate(-90 12 \(f(top + ph / 2)))\" text-anchor=\"middle\">\(escape(yTitle))</text>"
        for s in series {
            let pts = zip(s.x, s.y).filter { (!logX || $0.0 > 0) && $0.1.isFinite }.map { "\(f(tx($0.0))),\(f(ty($0.1)))" }
            guard pts.count > 1 else { continue }
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(f(s.width))\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(pts.joined(separator: " "))\"><title>\(escape(s.label))</title></polyline>"
        }
        return out + "</svg>"
    }

    /// A heat map of values in [-1, 2] (retained share), rows × columns, each cell with a short label.
    public static func heatMap(title: String, rows: [String], columns: [String], values: [[Double?]], labels: [[String]],
                               cell: Double = 26) -> String {
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
                out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(color)\"><title>\(escape(r)) · \(escape(columns[j])): \(tip)</title></rect>"
                out += "<text x=\"\(f(x + cell / 2 - 0.5))\" y=\"\(f(y + cell * 0.62))\" text-anchor=\"middle\">\(escape(labels[i][j]))</text>"
            }
        }
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
