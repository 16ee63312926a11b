/// Infix text for expressions, in the syntax of the text format (Antimony / SBML L3 infix):
/// `k1*A*B/(Km + A)`, `x^2`, `piecewise(1, time > 5, 0)`, `a > 1 && b < 2`.
/// Numbers are printed so that they read back exactly.
extension Expr: CustomStringConvertible {
    public var description: String { render(self).text }

    private enum Level: Int, Comparable {
        case or = 1
        case and, comparison, additive, multiplicative, unary, power, atom
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    private func render(_ e: Expr) -> (text: String, level: Level) {
        func wrap(_ x: Expr, _ min: Level) -> String {
            let r = render(x)
            return r.level < min ? "(\(r.text))" : r.text
        }
        func call(_ name: String, _ args: [Expr]) -> (String, Level) {
            ("\(name)(\(args.map { render($0).text }.joined(separator: ", ")))", .atom)
        }
        switch e {
        case .number(let v):
            let s = Expr.format(v)
            return (s, s.hasPrefix("-") ? .unary : .atom)
        case .symbol(let s): return (s, .atom)
        case .time: return ("time", .atom)
        case .call(let f, let args): return call(f, args)
        case .piecewise(let pieces, let otherwise):
            var args: [Expr] = []
            for p in pieces { args += [p.value, p.condition] }
            if let o = otherwise { args.append(o) }
            return call("piecewise", args)
        case .apply(let op, let a):
            switch op {
            case .add where a.count >= 2:
                return (a.map { wrap($0, .additive) }.joined(separator: " + "), .additive)
            case .mul where a.count >= 2:
                return (a.map { wrap($0, .multiplicative) }.joined(separator: "*"), .multiplicative)
            case .sub where a.count == 2:
                return ("\(wrap(a[0], .additive)) - \(wrap(a[1], .multiplicative))", .additive)
            case .div where a.count == 2:
                return ("\(wrap(a[0], .multiplicative))/\(wrap(a[1], .unary))", .multiplicative)
            case .neg where a.count == 1, .sub where a.count == 1:
                return ("-\(wrap(a[0], .power))", .unary)
            case .pow where a.count == 2:
                // Right-associative: a^b^c = a^(b^c); the base needs parentheses at its own level.
                return ("\(wrap(a[0], .atom))^\(wrap(a[1], .unary))", .power)
            case .and where a.count >= 2:
                return (a.map { wrap($0, .comparison) }.joined(separator: " && "), .and)
            case .or where a.count >= 2:
                return (a.map { wrap($0, .and) }.joined(separator: " || "), .or)
            case .not where a.count == 1:
                return ("!\(wrap(a[0], .atom))", .unary)
            case .eq, .neq, .lt, .le, .gt, .ge:
                if a.count == 2 {
                    let sym = [Op.eq: "==", .neq: "!=", .lt: "<", .le: "<=", .gt: ">", .ge: ">="][op]!
                    return ("\(wrap(a[0], .additive)) \(sym) \(wrap(a[1], .additive))", .comparison)
                }
                return call(Expr.functionName(op), a)
            default:
                return call(Expr.functionName(op), a)
            }
        }
    }

    /// The function-call name of an operator in the text format.
    public static func functionName(_ op: Op) -> String {
        switch op {
        case .add: return "plus"
        case .sub: return "minus"
        case .mul: return "times"
        case .div: return "divide"
        case .neg: return "minus"
        case .eq: return "eq"
        case .neq: return "neq"
        case .lt: return "lt"
        case .le: return "leq"
        case .gt: return "gt"
        case .ge: return "geq"
        case .ceil: return "ceil"
        case .ln: return "ln"
        default: return op.rawValue
        }
    }

    /// Shortest text that reads back as exactly `v` (`inf`, `-inf` and `NaN` for the specials).
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
