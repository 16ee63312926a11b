import Foundation

// Text forms of numbers and strings shared by every output (CSV, JSON, tables, messages), so a
// number is written the same way everywhere.

/// Number text that reads back exactly: the shortest decimal that round-trips, `NaN`, `inf`, `-inf`.
public func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return "\(v)"
}

/// `30 min`, `2 h`, `3 d` for a whole number of minutes, hours or days; otherwise `<seconds> s`.
public func formatDuration(_ s: Double) -> String {
    if s != 0 && s.truncatingRemainder(dividingBy: 86400) == 0 { return "\(Int(s / 86400)) d" }
    if s != 0 && s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(s / 3600)) h" }
    if s != 0 && s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60)) min" }
    return "\(formatNumber(s)) s"
}

/// Text as the inside of a JSON string literal.
public func jsonEscape(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
        }
    }
    return out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
public func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}
