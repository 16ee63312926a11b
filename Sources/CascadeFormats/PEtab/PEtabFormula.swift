import CascadeCore
import Foundation

/// An expression compiled once and evaluated many times: every symbol is bound to a slot of a
/// value array, user functions are inlined, and the tree becomes a postfix program. Used for
/// observable and noise formulas, whose placeholder values change from one measurement to the
/// next while the formula stays the same.
///
///     let f = try CompiledFormula(.symbol("a") * .symbol("x"), slots: ["a": 0, "x": 1])
///     f.evaluate([2, 3])   // 6
public struct CompiledFormula: Hashable, Sendable {
    enum Instruction: Hashable, Sendable {
        case constant(Double)
        case slot(Int)
        case apply(Op, Int)
        /// Pops `pieces` (value, condition) pairs and, when `otherwise`, one more value.
        case piecewise(pieces: Int, otherwise: Bool)
    }

    let code: [Instruction]
    let maxDepth: Int
    static let maxInstructions = 1_000_000

    /// The formula's symbols that are bound to slots.
    public let symbols: Set<String>

    /// Compiles `expression`. Every symbol must be in `slots`, or an argument of an enclosing
    /// function; calls must name one of `functions`. Throws a message naming the first unknown id.
    public init(_ expression: Expr, slots: [String: Int], functions: [FunctionDefinition] = []) throws {
        let table = Dictionary(functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var code: [Instruction] = []
        var used = Set<String>()
        var depth = 0, maxDepth = 0
        func push(_ n: Int = 1) {
            depth += n
            maxDepth = Swift.max(maxDepth, depth)
        }
        func emit(_ e: Expr, env: [String: Expr], calls: [String]) throws {
            // Inlining copies a function's body at every call, so nested functions that each
            // call the previous one twice double the program per level; stop at a size no real
            // formula reaches instead of running out of memory.
            if code.count > Self.maxInstructions {
                throw FormulaError.unsupported("a formula of more than \(Self.maxInstructions) operations once its functions are inlined")
            }
            switch e {
            case .number(let v):
                code.append(.constant(v)); push()
            case .time:
                guard let s = slots["time"] else { throw FormulaError.unknownSymbol("time") }
                used.insert("time")
                code.append(.slot(s)); push()
            case .symbol(let name):
                if let bound = env[name] {
                    try emit(bound, env: [:], calls: calls)
                    return
                }
                guard let s = slots[name] else { throw FormulaError.unknownSymbol(name) }
                used.insert(name)
                code.append(.slot(s)); push()
            case .apply(let op, let args):
                if op == .rateOf || op == .delay { throw FormulaError.unsupported(op.rawValue) }
                guard args.count >= op.arity.min, op.arity.max.map({ args.count <= $0 }) ?? true else {
                    throw FormulaError.unsupported("\(op.rawValue) with \(args.count) arguments")
                }
                for a in args { try emit(a, env: env, calls: calls) }
                code.append(.apply(op, args.count))
                depth -= args.count - 1
                if args.isEmpty { push() }
            case .call(let name, let args):
                guard let f = table[name] else { throw FormulaError.unknownFunction(name) }
                guard f.arguments.count == args.count else {
                    throw FormulaError.unsupported("\(name) takes \(f.arguments.count) arguments, given \(args.count)")
                }
                guard !calls.contains(name) else { throw FormulaError.unsupported("recursive function '\(name)'") }
                var inner: [String: Expr] = [:]
                for (a, v) in zip(f.arguments, args) { inner[a] = v.substituting(env) }
                try emit(f.body.substituting(inner), env: [:], calls: calls + [name])
            case .piecewise(let pieces, let otherwise):
                for p in pieces {
                    try emit(p.value, env: env, calls: calls)
                    try emit(p.condition, env: env, calls: calls)
                }
                if let o = otherwise { try emit(o, env: env, calls: calls) }
                let popped = pieces.count * 2 + (otherwise == nil ? 0 : 1)
                code.append(.piecewise(pieces: pieces.count, otherwise: otherwise != nil))
                depth -= popped - 1
            }
        }
        try emit(expression, env: [:], calls: [])
        self.code = code
        self.maxDepth = maxDepth
        self.symbols = used
    }

    /// Why a formula could not be compiled.
    public enum FormulaError: Error, Hashable, Sendable, CustomStringConvertible {
        case unknownSymbol(String)
        case unknownFunction(String)
        case unsupported(String)
        public var description: String {
            switch self {
            case .unknownSymbol(let s): return "unknown id '\(s)'"
            case .unknownFunction(let f): return "unknown function '\(f)'"
            case .unsupported(let what): return "\(what) is not supported here"
            }
        }
    }

    /// The formula's value with the slots holding `values`.
    public func evaluate(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { evaluate($0) }
    }

    public func evaluate(_ values: UnsafeBufferPointer<Double>) -> Double {
        var stack = [Double](repeating: 0, count: Swift.max(1, maxDepth))
        var top = 0
        for ins in code {
            switch ins {
            case .constant(let v):
                stack[top] = v; top += 1
            case .slot(let s):
                stack[top] = values[s]; top += 1
            case .apply(let op, let n):
                let base = top - n
                let v = Self.apply(op, Array(stack[base ..< top]))
                stack[base] = v
                top = base + 1
            case .piecewise(let pieces, let otherwise):
                let count = pieces * 2 + (otherwise ? 1 : 0)
                let base = top - count
                var result = Double.nan
                var chosen = false
                for i in 0 ..< pieces where !chosen {
                    let c = stack[base + 2 * i + 1]
                    if c != 0 && !c.isNaN {
                        result = stack[base + 2 * i]
                        chosen = true
                    }
                }
                if !chosen && otherwise { result = stack[top - 1] }
                stack[base] = result
                top = base + 1
            }
        }
        return top > 0 ? stack[top - 1] : .nan
    }

    static func truth(_ b: Bool) -> Double { b ? 1 : 0 }

    static func apply(_ op: Op, _ a: [Double]) -> Double {
        func chain(_ rel: (Double, Double) -> Bool) -> Double {
            for i in 1 ..< a.count where !rel(a[i - 1], a[i]) { return 0 }
            return 1
        }
        switch op {
        case .add: return a.reduce(0, +)
        case .sub: return a.count == 1 ? -a[0] : a[0] - a[1]
        case .mul: return a.reduce(1, *)
        case .div: return a[0] / a[1]
        case .pow: return Foundation.pow(a[0], a[1])
        case .neg: return -a[0]
        case .eq: return chain(==)
        case .neq: return a.count == 2 ? truth(a[0] != a[1]) : chain(!=)
        case .lt: return chain(<)
        case .le: return chain(<=)
        case .gt: return chain(>)
        case .ge: return chain(>=)
        case .and: return truth(a.allSatisfy { $0 != 0 && !$0.isNaN })
        case .or: return truth(a.contains { $0 != 0 && !$0.isNaN })
        case .not: return truth(a[0] == 0)
        case .xor: return truth(a.filter { $0 != 0 && !$0.isNaN }.count % 2 == 1)
        case .exp: return Foundation.exp(a[0])
        case .ln: return Foundation.log(a[0])
        case .log10: return Foundation.log10(a[0])
        case .log: return a.count == 1 ? Foundation.log(a[0]) : Foundation.log(a[1]) / Foundation.log(a[0])
        case .sqrt: return a[0].squareRoot()
        case .root: return a.count == 1 ? a[0].squareRoot() : Foundation.pow(a[1], 1 / a[0])
        case .abs: return Swift.abs(a[0])
        case .floor: return Foundation.floor(a[0])
        case .ceil: return Foundation.ceil(a[0])
        case .min: return a.contains(where: \.isNaN) ? .nan : a.min()!
        case .max: return a.contains(where: \.isNaN) ? .nan : a.max()!
        case .factorial: return Foundation.tgamma(a[0] + 1)
        case .rem: return Foundation.fmod(a[0], a[1])
        case .quotient: return (a[0] / a[1]).rounded(.towardZero)
        case .sin: return Foundation.sin(a[0])
        case .cos: return Foundation.cos(a[0])
        case .tan: return Foundation.tan(a[0])
        case .sec: return 1 / Foundation.cos(a[0])
        case .csc: return 1 / Foundation.sin(a[0])
        case .cot: return 1 / Foundation.tan(a[0])
        case .asin: return Foundation.asin(a[0])
        case .acos: return Foundation.acos(a[0])
        case .atan: return Foundation.atan(a[0])
        case .asec: return Foundation.acos(1 / a[0])
        case .acsc: return Foundation.asin(1 / a[0])
        case .acot: return Foundation.atan(1 / a[0])
        case .sinh: return Foundation.sinh(a[0])
        case .cosh: return Foundation.cosh(a[0])
        case .tanh: return Foundation.tanh(a[0])
        case .sech: return 1 / Foundation.cosh(a[0])
        case .csch: return 1 / Foundation.sinh(a[0])
        case .coth: return 1 / Foundation.tanh(a[0])
        case .asinh: return Foundation.asinh(a[0])
        case .acosh: return Foundation.acosh(a[0])
        case .atanh: return Foundation.atanh(a[0])
        case .asech: return Foundation.acosh(1 / a[0])
        case .acsch: return Foundation.asinh(1 / a[0])
        case .acoth: return Foundation.atanh(1 / a[0])
        case .rateOf, .delay: return .nan
        }
    }
}
