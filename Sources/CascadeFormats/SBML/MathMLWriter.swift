import CascadeCore

/// Writes `Expr` as SBML Level 3 Version 2 content MathML, the inverse of `MathMLReader`.
///
/// Numbers are written so that they read back as the same `Double`: integers as
/// `<cn type="integer">`, values whose shortest form has an exponent as `<cn type="e-notation">`,
/// others as `<cn>` with Swift's shortest round-tripping digits; infinity and NaN as
/// `<infinity/>`, `<apply><minus/><infinity/></apply>` (read back as the number -∞) and
/// `<notanumber/>`. Where MathML expects a truth value (a
/// trigger, a piece's condition, the arguments of `and`, `or`, `xor`, `not`) the numbers 1 and 0
/// are written as `<true/>` and `<false/>`.
struct MathMLWriter {
    static let elementNames: [Op: String] = [
        .add: "plus", .sub: "minus", .mul: "times", .div: "divide", .pow: "power", .neg: "minus",
        .eq: "eq", .neq: "neq", .lt: "lt", .le: "leq", .gt: "gt", .ge: "geq",
        .and: "and", .or: "or", .not: "not", .xor: "xor",
        .exp: "exp", .ln: "ln", .log10: "log", .abs: "abs", .floor: "floor", .ceil: "ceiling",
        .min: "min", .max: "max", .factorial: "factorial", .rem: "rem", .quotient: "quotient",
        .sqrt: "root", .root: "root",
        .sin: "sin", .cos: "cos", .tan: "tan", .sec: "sec", .csc: "csc", .cot: "cot",
        .asin: "arcsin", .acos: "arccos", .atan: "arctan", .asec: "arcsec", .acsc: "arccsc", .acot: "arccot",
        .sinh: "sinh", .cosh: "cosh", .tanh: "tanh", .sech: "sech", .csch: "csch", .coth: "coth",
        .asinh: "arcsinh", .acosh: "arccosh", .atanh: "arctanh", .asech: "arcsech", .acsch: "arccsch",
        .acoth: "arccoth",
    ]

    /// Appends `<math>` holding `expr` to `out`, indented by `indent` levels.
    static func write(_ expr: Expr, boolean: Bool = false, to out: inout SBMLXMLText, indent: Int) {
        out.line("<math xmlns=\"\(MathMLReader.namespace)\">", indent)
        write(node: expr, boolean: boolean, to: &out, indent: indent + 1)
        out.line("</math>", indent)
    }

    /// Appends `<math><lambda>` for a function definition.
    static func writeLambda(arguments: [String], body: Expr, to out: inout SBMLXMLText, indent: Int) {
        out.line("<math xmlns=\"\(MathMLReader.namespace)\">", indent)
        out.line("<lambda>", indent + 1)
        for a in arguments {
            out.line("<bvar>", indent + 2)
            out.line("<ci> \(SBMLXMLText.escape(a)) </ci>", indent + 3)
            out.line("</bvar>", indent + 2)
        }
        write(node: body, boolean: false, to: &out, indent: indent + 2)
        out.line("</lambda>", indent + 1)
        out.line("</math>", indent)
    }

    static func number(_ v: Double, boolean: Bool) -> String {
        if boolean && v == 1 { return "<true/>" }
        if boolean && v == 0 { return "<false/>" }
        if v.isNaN { return "<notanumber/>" }
        if v == .infinity { return "<infinity/>" }
        if v == -.infinity { return "<apply> <minus/> <infinity/> </apply>" }
        let text = SBMLNumber.format(v)
        if !text.contains("."), !text.contains("e") { return "<cn type=\"integer\"> \(text) </cn>" }
        if let (m, e) = SBMLNumber.eNotation(v) { return "<cn type=\"e-notation\"> \(m) <sep/> \(e) </cn>" }
        return "<cn> \(text) </cn>"
    }

    static func write(node: Expr, boolean: Bool, to out: inout SBMLXMLText, indent: Int) {
        switch node {
        case .number(let v):
            out.line(number(v, boolean: boolean), indent)
        case .symbol(let s):
            out.line("<ci> \(SBMLXMLText.escape(s)) </ci>", indent)
        case .time:
            out.line("<csymbol encoding=\"text\" definitionURL=\"\(MathMLReader.timeURL)\"> time </csymbol>", indent)
        case .call(let f, let args):
            out.line("<apply>", indent)
            out.line("<ci> \(SBMLXMLText.escape(f)) </ci>", indent + 1)
            for a in args { write(node: a, boolean: false, to: &out, indent: indent + 1) }
            out.line("</apply>", indent)
        case .piecewise(let pieces, let otherwise):
            out.line("<piecewise>", indent)
            for p in pieces {
                out.line("<piece>", indent + 1)
                write(node: p.value, boolean: boolean, to: &out, indent: indent + 2)
                write(node: p.condition, boolean: true, to: &out, indent: indent + 2)
                out.line("</piece>", indent + 1)
            }
            if let otherwise {
                out.line("<otherwise>", indent + 1)
                write(node: otherwise, boolean: boolean, to: &out, indent: indent + 2)
                out.line("</otherwise>", indent + 1)
            }
            out.line("</piecewise>", indent)
        case .apply(let op, let args):
            out.line("<apply>", indent)
            var args = args[...]
            switch (op, args.count) {
            case (.rateOf, _):
                out.line("<csymbol encoding=\"text\" definitionURL=\"\(MathMLReader.rateOfURL)\"> rateOf </csymbol>", indent + 1)
            case (.delay, _):
                out.line("<csymbol encoding=\"text\" definitionURL=\"\(MathMLReader.delayURL)\"> delay </csymbol>", indent + 1)
            case (.log, 1):
                out.line("<ln/>", indent + 1)
            case (.log, _) where args.count >= 2:
                out.line("<log/>", indent + 1)
                out.line("<logbase>", indent + 1)
                write(node: args.removeFirst(), boolean: false, to: &out, indent: indent + 2)
                out.line("</logbase>", indent + 1)
            case (.root, _) where args.count >= 2:
                out.line("<root/>", indent + 1)
                out.line("<degree>", indent + 1)
                write(node: args.removeFirst(), boolean: false, to: &out, indent: indent + 2)
                out.line("</degree>", indent + 1)
            default:
                out.line("<\(elementNames[op] ?? op.rawValue)/>", indent + 1)
            }
            let logical = op == .and || op == .or || op == .xor || op == .not
            for a in args { write(node: a, boolean: logical, to: &out, indent: indent + 1) }
            out.line("</apply>", indent)
        }
    }
}

/// Indented XML text under construction.
struct SBMLXMLText {
    private(set) var text = ""
    /// Spaces per indentation level.
    var width = 2

    mutating func line(_ s: String, _ indent: Int) {
        text += String(repeating: " ", count: indent * width)
        text += s
        text += "\n"
    }

    /// `s` with the characters XML reserves replaced, usable in text and in quoted attribute
    /// values (tabs and line breaks are kept as character references, which attribute-value
    /// normalisation would otherwise turn into spaces).
    static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { "&<>\"'\n\r\t".unicodeScalars.contains($0) }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// An element's start tag with the attributes that have a value, in the order given.
    static func tag(_ name: String, _ attributes: [(String, String?)], close: Bool = false) -> String {
        var s = "<" + name
        for (key, value) in attributes {
            if let value { s += " \(key)=\"\(escape(value))\"" }
        }
        return s + (close ? "/>" : ">")
    }
}
