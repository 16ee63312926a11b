/// A mathematical expression in a model: rate laws, rules, event triggers and assignments.
///
/// Expressions are plain values (`Hashable`, `Sendable`): front ends (the text format, SBML, the
/// Swift DSL) build them, the compiler in CascadeSolver lowers them to flat instruction tapes.
/// Nothing evaluates an `Expr` tree inside a simulation.
///
/// Booleans are represented numerically where they are evaluated: 1 for true, 0 for false, and any
/// non-zero value counts as true.
///
///     let rate: Expr = .symbol("k1") * .symbol("A") * .symbol("B")
public indirect enum Expr: Hashable, Sendable {
    /// A literal number.
    case number(Double)
    /// A reference to a model element: species, compartment, parameter, reaction (its rate),
    /// species reference (its stoichiometry), or a function argument inside a function body.
    case symbol(String)
    /// Simulation time, in the model's time unit (seconds in Cascade's own models).
    case time
    /// A built-in operator or function applied to its arguments.
    case apply(Op, [Expr])
    /// A call of a user-defined function (`FunctionDefinition`) by id.
    case call(String, [Expr])
    /// `piecewise`: the value of the first piece whose condition holds, else `otherwise`.
    /// With no `otherwise` and no condition true the value is NaN, which the integrator reports.
    case piecewise([Piece], otherwise: Expr?)

    /// One branch of a piecewise expression.
    public struct Piece: Hashable, Sendable {
        public var value: Expr
        public var condition: Expr
        public init(_ value: Expr, when condition: Expr) {
            self.value = value
            self.condition = condition
        }
    }
}

/// Built-in operators and functions. Arity is checked by `Op.arity`.
public enum Op: String, Hashable, Sendable, CaseIterable {
    // arithmetic
    case add, sub, mul, div, pow, neg
    // relational (value 1 or 0)
    case eq, neq, lt, le, gt, ge
    // logical (value 1 or 0)
    case and, or, not, xor
    // elementary functions
    case exp, ln, log10, log, sqrt, root, abs, floor, ceil, min, max, factorial, rem, quotient
    // trigonometric and hyperbolic
    case sin, cos, tan, sec, csc, cot
    case asin, acos, atan, asec, acsc, acot
    case sinh, cosh, tanh, sech, csch, coth
    case asinh, acosh, atanh, asech, acsch, acoth
    /// `rateOf(x)`: the current time derivative of a model variable (SBML Level 3 Version 2).
    case rateOf
    /// `delay(x, d)`: the value `x` had `d` time units ago (SBML's delay csymbol). Before the
    /// start of a simulation, states keep their initial values while time runs back.
    case delay

    /// Allowed argument counts: `nil` upper bound means any number.
    public var arity: (min: Int, max: Int?) {
        switch self {
        case .add, .mul: return (0, nil)
        case .and, .or, .xor: return (0, nil)
        case .min, .max: return (1, nil)
        case .sub: return (1, 2)
        case .div, .pow, .rem, .quotient, .delay: return (2, 2)
        case .eq, .neq, .lt, .le, .gt, .ge: return (2, nil)
        case .log, .root: return (1, 2)  // log(x) = ln x; log(base, x); root(x) = sqrt; root(n, x)
        default: return (1, 1)
        }
    }

    /// True for operators whose value is a truth value.
    public var isBoolean: Bool {
        switch self {
        case .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .not, .xor: return true
        default: return false
        }
    }

    /// True for the relational operators.
    public var isRelational: Bool {
        switch self {
        case .eq, .neq, .lt, .le, .gt, .ge: return true
        default: return false
        }
    }
}

// MARK: - Building expressions

extension Expr: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A string literal is a symbol: `"k1" * "A"`.
    public init(stringLiteral value: String) { self = .symbol(value) }
}

extension Expr {
    public static func + (l: Expr, r: Expr) -> Expr { .apply(.add, [l, r]) }
    public static func - (l: Expr, r: Expr) -> Expr { .apply(.sub, [l, r]) }
    public static func * (l: Expr, r: Expr) -> Expr { .apply(.mul, [l, r]) }
    public static func / (l: Expr, r: Expr) -> Expr { .apply(.div, [l, r]) }
    public static prefix func - (x: Expr) -> Expr { .apply(.neg, [x]) }
    public static func pow(_ b: Expr, _ e: Expr) -> Expr { .apply(.pow, [b, e]) }
    public static func fn(_ op: Op, _ args: Expr...) -> Expr { .apply(op, args) }

    /// The number, if this expression is a literal (including a negated literal).
    public var numericValue: Double? {
        switch self {
        case .number(let v): return v
        case .apply(.neg, let a) where a.count == 1: return a[0].numericValue.map { -$0 }
        default: return nil
        }
    }
}

// MARK: - Traversal

extension Expr {
    /// Every symbol this expression refers to (not including function names).
    public var symbols: Set<String> {
        var out = Set<String>()
        collectSymbols(into: &out)
        return out
    }

    public func collectSymbols(into out: inout Set<String>) {
        switch self {
        case .number, .time: break
        case .symbol(let s): out.insert(s)
        case .apply(_, let args), .call(_, let args):
            for a in args { a.collectSymbols(into: &out) }
        case .piecewise(let pieces, let otherwise):
            for p in pieces {
                p.value.collectSymbols(into: &out)
                p.condition.collectSymbols(into: &out)
            }
            otherwise?.collectSymbols(into: &out)
        }
    }

    /// Every user function this expression calls, directly.
    public var calledFunctions: Set<String> {
        var out = Set<String>()
        visit { e in if case .call(let f, _) = e { out.insert(f) } }
        return out
    }

    /// Calls `body` on this node and every sub-expression, parents first.
    public func visit(_ body: (Expr) -> Void) {
        body(self)
        switch self {
        case .number, .time, .symbol: break
        case .apply(_, let args), .call(_, let args):
            for a in args { a.visit(body) }
        case .piecewise(let pieces, let otherwise):
            for p in pieces {
                p.value.visit(body)
                p.condition.visit(body)
            }
            otherwise?.visit(body)
        }
    }

    /// Rebuilds the expression bottom-up, replacing each node by `transform(node)` when it
    /// returns non-nil (children are transformed first).
    public func rewritten(_ transform: (Expr) -> Expr?) -> Expr {
        let rebuilt: Expr
        switch self {
        case .number, .time, .symbol: rebuilt = self
        case .apply(let op, let args): rebuilt = .apply(op, args.map { $0.rewritten(transform) })
        case .call(let f, let args): rebuilt = .call(f, args.map { $0.rewritten(transform) })
        case .piecewise(let pieces, let otherwise):
            rebuilt = .piecewise(
                pieces.map { Piece($0.value.rewritten(transform), when: $0.condition.rewritten(transform)) },
                otherwise: otherwise?.rewritten(transform))
        }
        return transform(rebuilt) ?? rebuilt
    }

    /// Replaces symbols by expressions (simultaneously, not recursively).
    public func substituting(_ map: [String: Expr]) -> Expr {
        if map.isEmpty { return self }
        return rewritten { e in
            if case .symbol(let s) = e { return map[s] }
            return nil
        }
    }

    /// Renames symbols.
    public func renamingSymbols(_ map: [String: String]) -> Expr {
        substituting(map.mapValues { .symbol($0) })
    }

    /// True if `time` occurs anywhere in the expression.
    public var dependsOnTime: Bool {
        var found = false
        visit { if case .time = $0 { found = true } }
        return found
    }
}
