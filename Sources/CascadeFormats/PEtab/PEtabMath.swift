import CascadeCore

/// The infix formulas of PEtab tables (observable and noise formulas), read into `Expr`.
///
/// Grammar, loosest binding first: `||`; `&&`; `!`; comparisons `< <= > >= == !=`; `+ -`;
/// `* /`; unary `+ -`; power `^` or `**` (right-associative, binding tighter than unary minus,
/// so `-x^2` is `-(x^2)` and `2^-1` is allowed). Numbers in decimal or exponent notation, `inf`,
/// `nan`, `true`, `false`. Functions: `exp`, `ln`, `log(x)` (natural), `log(x, base)`, `log2`,
/// `log10`, `sqrt`, `abs`, `floor`, `ceil`, `pow(x, y)`, `min`, `max`, the trigonometric and
/// hyperbolic functions and their inverses (`asin` or `arcsin`...), and
/// `piecewise(value1, condition1, ..., otherwise)`. Any other call is kept as a user function
/// call (the model's SBML function definitions). Names are ids: letters, digits, `_`.
public enum PEtabMath {
    /// Parses a formula; `context` (e.g. "observables.tsv:3: column 'observableFormula'") prefixes
    /// error messages.
    public static func parse(
        _ text: String, file: String = "<formula>", line: Int? = nil,
        column: String? = nil
    ) throws -> Expr {
        var p = Parser(text: Array(text.unicodeScalars), file: file, line: line, column: column)
        return try p.parseAll()
    }

    private enum Token: Equatable {
        case number(Double)
        case name(String)
        case op(String)
        case lparen, rparen, comma, end
    }

    private struct Parser {
        let text: [Unicode.Scalar]
        let file: String
        let line: Int?
        let column: String?
        var pos = 0
        var token: Token = .end
        var tokenStart = 0
        /// Nesting so far (parentheses, calls, unary operators, exponents). The parser recurses
        /// once per level, so a bound keeps `((((...` 50,000 deep from overflowing the stack.
        var depth = 0
        static let maximumDepth = 256

        mutating func enter() throws {
            depth += 1
            if depth > Self.maximumDepth { throw fail("the formula nests deeper than \(Self.maximumDepth) levels") }
        }

        init(text: [Unicode.Scalar], file: String, line: Int?, column: String?) {
            self.text = text
            self.file = file
            self.line = line
            self.column = column
        }

        func fail(_ message: String, at position: Int? = nil) -> PEtabError {
            let where_ = position ?? tokenStart
            let source = String(String.UnicodeScalarView(text))
            return PEtabError(
                file: file, line: line, column: column,
                "\(message) at character \(where_ + 1) of '\(source)'")
        }

        mutating func parseAll() throws -> Expr {
            try advance()
            if token == .end { throw fail("the formula is empty") }
            let e = try parseOr()
            guard token == .end else { throw fail("unexpected \(describe(token))") }
            return e
        }

        func describe(_ t: Token) -> String {
            switch t {
            case .number(let v): return "number \(v)"
            case .name(let n): return "'\(n)'"
            case .op(let o): return "'\(o)'"
            case .lparen: return "'('"
            case .rparen: return "')'"
            case .comma: return "','"
            case .end: return "end of formula"
            }
        }

        static func isNameStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a" ... "z").contains(c) || ("A" ... "Z").contains(c)
        }

        static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0" ... "9").contains(c) }
        static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0" ... "9").contains(c) }

        mutating func advance() throws {
            while pos < text.count, text[pos] == " " || text[pos] == "\t" || text[pos] == "\n" || text[pos] == "\r" {
                pos += 1
            }
            tokenStart = pos
            guard pos < text.count else { token = .end; return }
            let c = text[pos]
            if Self.isDigit(c) || (c == "." && pos + 1 < text.count && Self.isDigit(text[pos + 1])) {
                var end = pos
                while end < text.count, Self.isDigit(text[end]) { end += 1 }
                if end < text.count, text[end] == "." {
                    end += 1
                    while end < text.count, Self.isDigit(text[end]) { end += 1 }
                }
                if end < text.count, text[end] == "e" || text[end] == "E" {
                    var e = end + 1
                    if e < text.count, text[e] == "+" || text[e] == "-" { e += 1 }
                    if e < text.count, Self.isDigit(text[e]) {
                        while e < text.count, Self.isDigit(text[e]) { e += 1 }
                        end = e
                    }
                }
                let s = String(String.UnicodeScalarView(text[pos ..< end]))
                guard let v = Double(s) else { throw fail("malformed number '\(s)'") }
                pos = end
                token = .number(v)
                return
            }
            if Self.isNameStart(c) {
                var end = pos
                while end < text.count, Self.isNameChar(text[end]) { end += 1 }
                token = .name(String(String.UnicodeScalarView(text[pos ..< end])))
                pos = end
                return
            }
            let two = pos + 1 < text.count ? String(String.UnicodeScalarView(text[pos ... pos + 1])) : ""
            if ["**", "<=", ">=", "==", "!=", "&&", "||"].contains(two) {
                token = .op(two)
                pos += 2
                return
            }
            pos += 1
            switch c {
            case "(": token = .lparen
            case ")": token = .rparen
            case ",": token = .comma
            case "+", "-", "*", "/", "^", "<", ">", "!": token = .op(String(c))
            default: throw fail("unexpected character '\(c)'", at: pos - 1)
            }
        }

        mutating func expect(_ t: Token) throws {
            guard token == t else { throw fail("expected \(describe(t)), found \(describe(token))") }
            try advance()
        }

        mutating func parseOr() throws -> Expr {
            var args = [try parseAnd()]
            while token == .op("||") {
                try advance()
                args.append(try parseAnd())
            }
            return args.count == 1 ? args[0] : .apply(.or, args)
        }

        mutating func parseAnd() throws -> Expr {
            var args = [try parseNot()]
            while token == .op("&&") {
                try advance()
                args.append(try parseNot())
            }
            return args.count == 1 ? args[0] : .apply(.and, args)
        }

        mutating func parseNot() throws -> Expr {
            if token == .op("!") {
                try advance()
                try enter()
                defer { depth -= 1 }
                return .apply(.not, [try parseNot()])
            }
            return try parseComparison()
        }

        mutating func parseComparison() throws -> Expr {
            let lhs = try parseAdditive()
            let ops: [String: Op] = ["<": .lt, "<=": .le, ">": .gt, ">=": .ge, "==": .eq, "!=": .neq]
            if case .op(let o) = token, let op = ops[o] {
                try advance()
                let rhs = try parseAdditive()
                if case .op(let o2) = token, ops[o2] != nil {
                    throw fail("comparisons cannot be chained; use && between them")
                }
                return .apply(op, [lhs, rhs])
            }
            return lhs
        }

        mutating func parseAdditive() throws -> Expr {
            var e = try parseMultiplicative()
            while case .op(let o) = token, o == "+" || o == "-" {
                try advance()
                let r = try parseMultiplicative()
                e = o == "+" ? .apply(.add, [e, r]) : .apply(.sub, [e, r])
            }
            return e
        }

        mutating func parseMultiplicative() throws -> Expr {
            var e = try parseUnary()
            while case .op(let o) = token, o == "*" || o == "/" {
                try advance()
                let r = try parseUnary()
                e = o == "*" ? .apply(.mul, [e, r]) : .apply(.div, [e, r])
            }
            return e
        }

        mutating func parseUnary() throws -> Expr {
            if token == .op("-") {
                try advance()
                try enter()
                defer { depth -= 1 }
                let x = try parseUnary()
                if case .number(let v) = x { return .number(-v) }
                return .apply(.neg, [x])
            }
            if token == .op("+") {
                try advance()
                try enter()
                defer { depth -= 1 }
                return try parseUnary()
            }
            return try parsePower()
        }

        mutating func parsePower() throws -> Expr {
            let base = try parsePrimary()
            if token == .op("^") || token == .op("**") {
                try advance()
                try enter()
                defer { depth -= 1 }
                let exponent = try parseUnary()  // right-associative; allows 2^-1
                return .apply(.pow, [base, exponent])
            }
            return base
        }

        mutating func parsePrimary() throws -> Expr {
            switch token {
            case .number(let v):
                try advance()
                return .number(v)
            case .lparen:
                try advance()
                try enter()
                defer { depth -= 1 }
                let e = try parseOr()
                try expect(.rparen)
                return e
            case .name(let name):
                let start = tokenStart
                try advance()
                if token == .lparen {
                    try advance()
                    try enter()
                    defer { depth -= 1 }
                    var args: [Expr] = []
                    if token != .rparen {
                        args.append(try parseOr())
                        while token == .comma {
                            try advance()
                            args.append(try parseOr())
                        }
                    }
                    try expect(.rparen)
                    return try call(name, args, at: start)
                }
                switch name.lowercased() {
                case "inf", "infinity": return .number(.infinity)
                case "nan": return .number(.nan)
                case "true": return .number(1)
                case "false": return .number(0)
                default: return .symbol(name)
                }
            default:
                throw fail("expected a number, a name or '(', found \(describe(token))")
            }
        }

        func call(_ name: String, _ args: [Expr], at start: Int) throws -> Expr {
            func arity(_ n: Int) throws {
                guard args.count == n else {
                    throw fail("\(name) takes \(n) argument\(n == 1 ? "" : "s"), given \(args.count)", at: start)
                }
            }
            let unary: [String: Op] = [
                "exp": .exp, "ln": .ln, "log10": .log10, "sqrt": .sqrt, "abs": .abs, "floor": .floor,
                "ceil": .ceil, "sin": .sin, "cos": .cos, "tan": .tan, "sec": .sec, "csc": .csc, "cot": .cot,
                "asin": .asin, "acos": .acos, "atan": .atan, "arcsin": .asin, "arccos": .acos, "arctan": .atan,
                "asec": .asec, "acsc": .acsc, "acot": .acot, "arcsec": .asec, "arccsc": .acsc, "arccot": .acot,
                "sinh": .sinh, "cosh": .cosh, "tanh": .tanh, "sech": .sech, "csch": .csch, "coth": .coth,
                "asinh": .asinh, "acosh": .acosh, "atanh": .atanh, "arcsinh": .asinh, "arccosh": .acosh,
                "arctanh": .atanh, "asech": .asech, "acsch": .acsch, "acoth": .acoth, "arcsech": .asech,
                "arccsch": .acsch, "arccoth": .acoth, "factorial": .factorial,
            ]
            if let op = unary[name] {
                try arity(1)
                return .apply(op, args)
            }
            switch name {
            case "log":
                if args.count == 1 { return .apply(.ln, args) }
                try arity(2)
                return .apply(.log, [args[1], args[0]])  // log(x, base); Op.log takes (base, x)
            case "log2":
                try arity(1)
                return .apply(.log, [.number(2), args[0]])
            case "pow":
                try arity(2)
                return .apply(.pow, args)
            case "min", "max":
                guard !args.isEmpty else { throw fail("\(name) needs at least one argument", at: start) }
                return .apply(name == "min" ? .min : .max, args)
            case "piecewise":
                guard args.count >= 2 else { throw fail("piecewise needs a value and a condition", at: start) }
                var pieces: [Expr.Piece] = []
                var i = 0
                while i + 1 < args.count {
                    pieces.append(Expr.Piece(args[i], when: args[i + 1]))
                    i += 2
                }
                return .piecewise(pieces, otherwise: i < args.count ? args[i] : nil)
            default:
                return .call(name, args)
            }
        }
    }
}
