import CascadeCore

/// Translates SBML's subset of content MathML into `Expr`.
///
/// Every MathML operator SBML Level 2 and Level 3 core allow maps onto a CascadeCore `Op`:
/// - `minus` with one argument is `Op.neg`, with two `Op.sub`; `plus` and `times` with no
///   argument are the numbers 0 and 1.
/// - `log` without `logbase` is the base-10 logarithm (`Op.log10`), as MathML defines it; with a
///   `logbase` it is `Op.log(base, x)`. `root` without `degree` is the square root (`Op.root(x)`),
///   with one `Op.root(degree, x)`.
/// - Relations take any number of arguments (`a < b < c` is `Op.lt(a, b, c)`); `implies(a, b)` is
///   written as `or(not a, b)`.
/// - `true`/`false` are 1 and 0, `pi` and `exponentiale` their values, `infinity` and
///   `notanumber` the IEEE values (and `minus(infinity)` the number -∞); the `avogadro` csymbol is 6.02214179e23 (the value SBML Level 3
///   fixes); `rateOf` becomes `Op.rateOf` and the `delay` csymbol `Op.delay`.
/// - `<apply><ci>f</ci>...</apply>` calls the user function `f`.
///
/// Anything else (other MathML elements, the delay csymbol, complex numbers) is an `SBMLError`.
struct MathMLReader {
    static let namespace = "http://www.w3.org/1998/Math/MathML"
    static let timeURL = "http://www.sbml.org/sbml/symbols/time"
    static let avogadroURL = "http://www.sbml.org/sbml/symbols/avogadro"
    static let rateOfURL = "http://www.sbml.org/sbml/symbols/rateOf"
    static let delayURL = "http://www.sbml.org/sbml/symbols/delay"
    /// Avogadro's number as SBML Level 3 defines the `avogadro` csymbol.
    static let avogadro = 6.02214179e23

    let path: String

    static let unaryOps: [String: Op] = [
        "abs": .abs, "exp": .exp, "ln": .ln, "floor": .floor, "ceiling": .ceil, "factorial": .factorial,
        "not": .not,
        "sin": .sin, "cos": .cos, "tan": .tan, "sec": .sec, "csc": .csc, "cot": .cot,
        "arcsin": .asin, "arccos": .acos, "arctan": .atan, "arcsec": .asec, "arccsc": .acsc, "arccot": .acot,
        "sinh": .sinh, "cosh": .cosh, "tanh": .tanh, "sech": .sech, "csch": .csch, "coth": .coth,
        "arcsinh": .asinh, "arccosh": .acosh, "arctanh": .atanh, "arcsech": .asech, "arccsch": .acsch,
        "arccoth": .acoth,
    ]
    static let binaryOps: [String: Op] = ["divide": .div, "power": .pow, "rem": .rem, "quotient": .quotient]
    static let naryOps: [String: Op] = [
        "plus": .add, "times": .mul, "and": .and, "or": .or, "xor": .xor, "min": .min, "max": .max,
        "eq": .eq, "neq": .neq, "gt": .gt, "lt": .lt, "geq": .ge, "leq": .le,
    ]

    func error(_ kind: SBMLError.Kind, _ element: SBMLXMLElement, _ owner: String?, _ message: String) -> SBMLError {
        SBMLError(kind, path: path, line: element.line, column: element.column, elementId: owner, message: message)
    }

    /// The expression inside a `<math>` element, or nil when the element is empty (SBML Level 3
    /// Version 2 allows math to be left out; the caller decides what that means).
    func expression(inMath math: SBMLXMLElement, owner: String?) throws -> Expr? {
        let content = try mathContent(math, owner: owner)
        guard let content else { return nil }
        return try expression(content, owner: owner)
    }

    /// A function definition's `<math><lambda>`: its argument names and body. Nil when the
    /// lambda has no body or the math is empty.
    func lambda(inMath math: SBMLXMLElement, owner: String?) throws -> (arguments: [String], body: Expr)? {
        guard var node = try mathContent(math, owner: owner) else { return nil }
        if node.name == "semantics", let first = node.children.first { node = first }
        guard node.namespace == Self.namespace, node.name == "lambda" else {
            throw error(.invalid, node, owner, "a function definition's math must be a <lambda>, not <\(node.name)>")
        }
        try noText(node, owner: owner)
        var arguments: [String] = []
        var body: Expr?
        for child in node.children {
            guard child.namespace == Self.namespace else {
                throw error(.unsupportedConstruct, child, owner, "unexpected element <\(child.qualifiedName)> in MathML")
            }
            if child.name == "bvar" {
                guard child.children.count == 1, let ci = child.children.first, ci.name == "ci" else {
                    throw error(.invalid, child, owner, "<bvar> must hold one <ci>")
                }
                try noText(child, owner: owner)
                let name = SBMLNumber.trim(ci.text)
                guard !name.isEmpty else { throw error(.invalid, ci, owner, "empty <ci> in <bvar>") }
                arguments.append(name)
            } else if body == nil {
                body = try expression(child, owner: owner)
            } else {
                throw error(.invalid, child, owner, "a <lambda> has more than one body")
            }
        }
        guard let body else { return nil }
        return (arguments, body)
    }

    /// Refuses character data (text or CDATA) in an element that holds only elements: text
    /// inside `<apply>` was silently dropped before, so `<apply><times/>k1<ci>A</ci></apply>` read
    /// as `A` alone.
    private func noText(_ e: SBMLXMLElement, owner: String?) throws {
        let text = SBMLNumber.trim(e.text)
        guard !text.isEmpty else { return }
        let shown = text.count > 40 ? String(text.prefix(40)) + "..." : text
        throw error(.invalid, e, owner, "text '\(shown)' inside <\(e.name)>; MathML holds numbers in <cn> and names in <ci>")
    }

    /// The single child of `<math>`, or nil when there is none.
    private func mathContent(_ math: SBMLXMLElement, owner: String?) throws -> SBMLXMLElement? {
        guard math.namespace == Self.namespace, math.name == "math" else {
            throw error(.invalid, math, owner, "expected a MathML <math> element, found <\(math.qualifiedName)>")
        }
        try noText(math, owner: owner)
        guard math.children.count <= 1 else {
            throw error(.invalid, math, owner, "<math> holds \(math.children.count) expressions; it must hold one")
        }
        return math.children.first
    }

    /// Translates one MathML content element.
    func expression(_ e: SBMLXMLElement, owner: String?) throws -> Expr {
        guard e.namespace == Self.namespace else {
            throw error(.unsupportedConstruct, e, owner, "element <\(e.qualifiedName)> is not MathML")
        }
        if !["cn", "ci", "csymbol", "semantics"].contains(e.name) { try noText(e, owner: owner) }
        switch e.name {
        case "cn": return .number(try number(e, owner: owner))
        case "ci":
            let name = SBMLNumber.trim(e.text)
            guard !name.isEmpty else { throw error(.invalid, e, owner, "empty <ci>") }
            return .symbol(name)
        case "csymbol":
            switch csymbolURL(e) {
            case Self.timeURL: return .time
            case Self.avogadroURL: return .number(Self.avogadro)
            case Self.delayURL: throw error(.invalid, e, owner, "csymbol delay must be applied to two arguments")
            case Self.rateOfURL: throw error(.invalid, e, owner, "csymbol rateOf must be applied to an argument")
            case let url: throw error(.unsupportedConstruct, e, owner, "unknown csymbol '\(url)'")
            }
        case "true": return .number(1)
        case "false": return .number(0)
        case "pi": return .number(Double.pi)
        case "exponentiale": return .number(2.718281828459045)
        case "infinity": return .number(.infinity)
        case "notanumber": return .number(.nan)
        case "apply": return try apply(e, owner: owner)
        case "piecewise": return try piecewise(e, owner: owner)
        case "semantics":
            // MathML semantics: the first child is the content; annotations after it are ignored.
            guard let first = e.children.first else { throw error(.invalid, e, owner, "empty <semantics>") }
            return try expression(first, owner: owner)
        case "lambda":
            throw error(.invalid, e, owner, "<lambda> is only allowed in function definitions")
        default:
            if Self.unaryOps[e.name] != nil || Self.binaryOps[e.name] != nil || Self.naryOps[e.name] != nil
                || ["minus", "root", "log", "implies"].contains(e.name)
            {
                throw error(.invalid, e, owner, "operator <\(e.name)/> outside an <apply>")
            }
            throw error(.unsupportedConstruct, e, owner, "unsupported MathML element <\(e.name)>")
        }
    }

    private func csymbolURL(_ e: SBMLXMLElement) -> String {
        SBMLNumber.trim(e["definitionURL"] ?? "")
    }

    /// The value of a `<cn>`: real (default), integer, e-notation (`m<sep/>e`) or rational
    /// (`n<sep/>d`).
    private func number(_ e: SBMLXMLElement, owner: String?) throws -> Double {
        let type = SBMLNumber.trim(e["type"] ?? "real")
        func bad() -> SBMLError {
            error(.invalid, e, owner, "<cn type=\"\(type)\"> holds '\(SBMLNumber.trim(e.text))', which is not a number of that type")
        }
        if !e.children.isEmpty, !(e.children.count == 1 && e.children[0].name == "sep") {
            throw error(.invalid, e, owner, "<cn> may hold only text and one <sep/>")
        }
        switch type {
        case "real":
            guard e.children.isEmpty, let v = SBMLNumber.parseDouble(e.text) else { throw bad() }
            return v
        case "integer":
            let base = e["base"].flatMap { Int(SBMLNumber.trim($0)) } ?? 10
            guard e.children.isEmpty, let v = SBMLNumber.parseInteger(e.text, base: base) else { throw bad() }
            return v
        case "e-notation":
            guard e.children.count == 1 else { throw bad() }
            let mantissa = SBMLNumber.trim(e.texts[0]), exponent = SBMLNumber.trim(e.texts[1])
            // Read as one decimal literal, so the result is the correctly rounded value (not m * 10^e).
            guard SBMLNumber.parseInteger(exponent) != nil, !mantissa.contains("e"), !mantissa.contains("E"),
                let v = SBMLNumber.parseDouble("\(mantissa)e\(exponent)")
            else { throw bad() }
            return v
        case "rational":
            guard e.children.count == 1,
                let n = SBMLNumber.parseInteger(e.texts[0]), let d = SBMLNumber.parseInteger(e.texts[1])
            else {
                throw bad()
            }
            return n / d
        default:
            throw error(.unsupportedConstruct, e, owner, "<cn type=\"\(type)\"> is not supported")
        }
    }

    private func piecewise(_ e: SBMLXMLElement, owner: String?) throws -> Expr {
        var pieces: [Expr.Piece] = []
        var otherwise: Expr?
        for child in e.children {
            guard child.namespace == Self.namespace else {
                throw error(.unsupportedConstruct, child, owner, "element <\(child.qualifiedName)> is not MathML")
            }
            try noText(child, owner: owner)
            switch child.name {
            case "piece":
                guard otherwise == nil else {
                    throw error(.invalid, child, owner, "<piece> after <otherwise> in <piecewise>")
                }
                guard child.children.count == 2 else {
                    throw error(.invalid, child, owner, "<piece> must hold a value and a condition, it holds \(child.children.count) elements")
                }
                pieces.append(
                    Expr.Piece(
                        try expression(child.children[0], owner: owner),
                        when: try expression(child.children[1], owner: owner)))
            case "otherwise":
                guard otherwise == nil else { throw error(.invalid, child, owner, "two <otherwise> in <piecewise>") }
                guard child.children.count == 1 else {
                    throw error(.invalid, child, owner, "<otherwise> must hold one expression, it holds \(child.children.count)")
                }
                otherwise = try expression(child.children[0], owner: owner)
            default:
                throw error(.invalid, child, owner, "<\(child.name)> inside <piecewise>; expected <piece> or <otherwise>")
            }
        }
        return .piecewise(pieces, otherwise: otherwise)
    }

    private func apply(_ e: SBMLXMLElement, owner: String?) throws -> Expr {
        guard let head = e.children.first else { throw error(.invalid, e, owner, "empty <apply>") }
        guard head.namespace == Self.namespace else {
            throw error(.unsupportedConstruct, head, owner, "element <\(head.qualifiedName)> is not MathML")
        }
        // Qualifiers (logbase, degree) and arguments.
        var logbase: SBMLXMLElement?
        var degree: SBMLXMLElement?
        var argumentElements: [SBMLXMLElement] = []
        for child in e.children.dropFirst() {
            switch child.namespace == Self.namespace ? child.name : "" {
            case "logbase":
                guard logbase == nil else { throw error(.invalid, child, owner, "two <logbase> qualifiers") }
                logbase = child
            case "degree":
                guard degree == nil else { throw error(.invalid, child, owner, "two <degree> qualifiers") }
                degree = child
            case "bvar", "lowlimit", "uplimit", "condition", "domainofapplication", "momentabout":
                throw error(.unsupportedConstruct, child, owner, "MathML qualifier <\(child.name)> is not supported")
            default:
                argumentElements.append(child)
            }
        }
        func qualifier(_ q: SBMLXMLElement) throws -> Expr {
            try noText(q, owner: owner)
            guard q.children.count == 1 else {
                throw error(.invalid, q, owner, "<\(q.name)> must hold one expression")
            }
            return try expression(q.children[0], owner: owner)
        }
        let op = head.name
        // `<apply><apply>...</apply></apply>`: an expression "applied" to nothing. Not valid MathML,
        // but libSBML reads it as the inner expression and published models rely on that
        // (Beer_MolBioSystems2014 in the PEtab benchmark collection), so do the same.
        if ["apply", "cn", "piecewise"].contains(op), argumentElements.isEmpty, logbase == nil, degree == nil {
            return try expression(head, owner: owner)
        }
        if let logbase, op != "log" {
            throw error(.invalid, logbase, owner, "<logbase> is only allowed with <log/>")
        }
        if let degree, op != "root" {
            throw error(.invalid, degree, owner, "<degree> is only allowed with <root/>")
        }
        if !["ci", "csymbol"].contains(op) {
            if !head.children.isEmpty { throw error(.invalid, head, owner, "operator <\(op)/> must be empty") }
            try noText(head, owner: owner)
        }
        let args = try argumentElements.map { try expression($0, owner: owner) }

        func checked(_ o: Op, _ a: [Expr]) throws -> Expr {
            let (lo, hi) = o.arity
            if a.count < lo || (hi.map { a.count > $0 } ?? false) {
                let expected: String
                if let hi { expected = lo == hi ? "\(lo)" : "\(lo) to \(hi)" } else { expected = "at least \(lo)" }
                throw error(.invalid, head, owner, "<\(op)/> takes \(expected) argument\(expected == "1" ? "" : "s"), given \(a.count)")
            }
            return .apply(o, a)
        }

        switch op {
        case "ci":
            let name = SBMLNumber.trim(head.text)
            guard !name.isEmpty else { throw error(.invalid, head, owner, "empty <ci>") }
            return .call(name, args)
        case "csymbol":
            switch csymbolURL(head) {
            case Self.rateOfURL:
                guard args.count == 1 else {
                    throw error(.invalid, head, owner, "rateOf takes 1 argument, given \(args.count)")
                }
                guard case .symbol = args[0] else {
                    throw error(.invalid, head, owner, "rateOf must be applied to a <ci>")
                }
                return .apply(.rateOf, args)
            case Self.delayURL:
                guard args.count == 2 else {
                    throw error(.invalid, head, owner, "delay takes 2 arguments, given \(args.count)")
                }
                return .apply(.delay, args)
            case Self.timeURL, Self.avogadroURL:
                throw error(.invalid, head, owner, "csymbol '\(csymbolURL(head))' cannot be applied to arguments")
            case let url:
                throw error(.unsupportedConstruct, head, owner, "unknown csymbol '\(url)'")
            }
        case "plus" where args.isEmpty: return .number(0)
        case "times" where args.isEmpty: return .number(1)
        case "minus":
            // -∞ has no literal in MathML; `minus(infinity)` is how it is written (and what the
            // writer produces for the number -∞), so it reads back as that number.
            if args.count == 1, case .number(let v) = args[0], v == .infinity { return .number(-.infinity) }
            if args.count == 1 { return .apply(.neg, args) }
            return try checked(.sub, args)
        case "log":
            if let logbase { return try checked(.log, [try qualifier(logbase)] + args) }
            return try checked(.log10, args)
        case "root":
            if let degree { return try checked(.root, [try qualifier(degree)] + args) }
            guard args.count == 1 else {
                throw error(.invalid, head, owner, "<root/> takes 1 argument (and a <degree>), given \(args.count)")
            }
            return .apply(.root, args)
        case "implies":
            guard args.count == 2 else {
                throw error(.invalid, head, owner, "<implies/> takes 2 arguments, given \(args.count)")
            }
            return .apply(.or, [.apply(.not, [args[0]]), args[1]])
        default:
            if let o = Self.naryOps[op] ?? Self.binaryOps[op] ?? Self.unaryOps[op] {
                return try checked(o, args)
            }
            throw error(.unsupportedConstruct, head, owner, "unsupported MathML operator <\(op)>")
        }
    }
}
