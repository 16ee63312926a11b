/// Reading and writing numbers the way SBML and its MathML spell them.
enum SBMLNumber {
    /// Parses an XML Schema `double` (SBML attribute values, MathML `cn` text): an optional sign,
    /// decimal digits with an optional point and exponent, or `INF`, `-INF`, `NaN` (any case, and
    /// the `inf`/`infinity`/`nan` spellings C's strtod accepts). Surrounding whitespace is allowed.
    /// Returns nil for anything else, including the hexadecimal forms Swift's `Double(_:)` takes.
    static func parseDouble(_ text: String) -> Double? {
        let s = trim(text)
        switch s.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard isDecimal(s) else { return nil }
        return Double(s)
    }

    /// Parses an integer (`cn type="integer"`), optionally in another base (MathML's `base`
    /// attribute, 2...36). Values beyond Int64 are read as the nearest double.
    static func parseInteger(_ text: String, base: Int = 10) -> Double? {
        let s = trim(text)
        if base == 10 {
            guard isDecimal(s), !s.contains("."), !s.contains("e"), !s.contains("E") else { return nil }
            return Double(s)
        }
        guard (2 ... 36).contains(base), let v = Int64(s, radix: base) else { return nil }
        return Double(v)
    }

    /// True if `s` is `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`.
    private static func isDecimal(_ s: String) -> Bool {
        var it = s.utf8.makeIterator()
        var c = it.next()
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
        var mantissaDigits = 0
        while let d = c, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { mantissaDigits += 1; c = it.next() }
        if c == UInt8(ascii: ".") {
            c = it.next()
            while let d = c, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { mantissaDigits += 1; c = it.next() }
        }
        guard mantissaDigits > 0 else { return false }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            var exponentDigits = 0
            while let d = c, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { exponentDigits += 1; c = it.next() }
            guard exponentDigits > 0 else { return false }
        }
        return c == nil
    }

    /// The shortest text that reads back as exactly `value`: integers without a decimal point
    /// (`5`), otherwise Swift's shortest round-tripping form (`0.1`, `1e-07`), and `INF`,
    /// `-INF`, `NaN` for the special values, as XML Schema spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-INF" : "INF" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        if value == value.rounded(.towardZero), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// A finite, non-integer value split for MathML's `e-notation`, when its shortest form has an
    /// exponent: `1e-07` → ("1", "-7").
    static func eNotation(_ value: Double) -> (mantissa: String, exponent: String)? {
        guard value.isFinite else { return nil }
        let text = format(value)
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return nil }
        let mantissa = String(text[..<e])
        guard let exponent = Int(text[text.index(after: e)...]) else { return nil }
        return (mantissa, String(exponent))
    }

    /// `text` without leading and trailing XML whitespace (space, tab, CR, LF).
    ///
    /// Works on Unicode scalars, not characters: a space followed by a combining mark is one
    /// `Character`, so trimming characters would keep the space of `<ci> \u{5C7} </ci>` (found by
    /// the SBML fuzzer: such an id did not read back as written).
    static func trim(_ text: some StringProtocol) -> String {
        let scalars = String(text).unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first ... last])
    }
}
