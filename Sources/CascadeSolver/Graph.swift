import Foundation

/// Operations of the compiled expression graph and of the instruction tapes.
///
/// Every operation takes at most three arguments; n-ary SBML operators are folded left to right
/// when lowered, so the order of floating-point operations is fixed by the model text.
enum GOp: UInt8, Hashable, Sendable {
    // leaves
    case const, time, param, state, nominal
    // arithmetic
    case add, sub, mul, div, pow, neg
    // elementary
    case exp, ln, log10, sqrt, abs, floor, ceil, sign, factorial, rem, quotient, min, max
    // trigonometric and hyperbolic
    case sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh
    // relational and logical (value 1 or 0)
    case lt, le, gt, ge, eq, neq, and, or, not, xor
    /// select(c, a, b) = c != 0 ? a : b
    case select
    /// A leaf: the value of a delayed expression (`delay(x, d)`), held in a parameter register
    /// that the simulator fills from the history before each evaluation.
    case delayed
    /// A leaf: the branch flag of a locked comparison (1 or 0), held in an input register the
    /// simulator sets at the stops of the integration (see `CompiledModel.lockedAtoms`).
    case flag

    var isLeaf: Bool { rawValue <= GOp.nominal.rawValue || self == .delayed || self == .flag }
    /// How many operands the operation reads (a, then b, then c).
    var arity: Int {
        switch self {
        case .const, .time, .param, .state, .nominal, .delayed, .flag: return 0
        case .add, .sub, .mul, .div, .pow, .rem, .quotient, .min, .max,
            .lt, .le, .gt, .ge, .eq, .neq, .and, .or, .xor:
            return 2
        case .select: return 3
        default: return 1
        }
    }
    var isRelational: Bool {
        switch self {
        case .lt, .le, .gt, .ge, .eq, .neq: return true
        default: return false
        }
    }
}

typealias NodeID = Int32

/// One node of the graph. Leaves: `const` (value), `time`, `param` / `state` / `nominal` (index in a).
struct GNode: Hashable {
    var op: GOp
    var a: Int32 = -1
    var b: Int32 = -1
    var c: Int32 = -1
    var value: Double = 0

    var args: [Int32] {
        if c >= 0 { return [a, b, c] }
        if b >= 0 { return [a, b] }
        if a >= 0 && !op.isLeaf { return [a] }
        return []
    }
}

/// x^y with the whole exponents 0 to 4 taken as the compiler rewrites constant ones (1, x, x·x,
/// (x·x)·x, (x·x)·(x·x)), so an exponent held in a parameter (a Hill coefficient of 2) gives
/// the same bits as the same constant, without a call to pow.
@inline(__always)
func power(_ x: Double, _ y: Double) -> Double {
    switch y {
    case 2: return x * x
    case 3: return x * x * x
    case 4: let s = x * x; return s * s
    case 1: return x
    case 0: return 1
    default: return Foundation.pow(x, y)
    }
}

/// Evaluates one operation. Shared by constant folding and the tape interpreter so both agree.
@inline(__always)
func evaluate(_ op: GOp, _ x: Double, _ y: Double, _ z: Double) -> Double {
    switch op {
    case .const, .time, .param, .state, .nominal, .delayed, .flag: return x
    case .add: return x + y
    case .sub: return x - y
    case .mul: return x * y
    case .div: return x / y
    case .pow: return power(x, y)
    case .neg: return -x
    case .exp: return Foundation.exp(x)
    case .ln: return Foundation.log(x)
    case .log10: return Foundation.log10(x)
    case .sqrt: return x.squareRoot()
    case .abs: return Swift.abs(x)
    case .floor: return x.rounded(.down)
    case .ceil: return x.rounded(.up)
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .factorial: return Foundation.tgamma(x + 1)
    case .rem: return Foundation.fmod(x, y)
    case .quotient: return (x / y).rounded(.towardZero)
    case .min: return x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
    case .max: return x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
    case .sin: return Foundation.sin(x)
    case .cos: return Foundation.cos(x)
    case .tan: return Foundation.tan(x)
    case .asin: return Foundation.asin(x)
    case .acos: return Foundation.acos(x)
    case .atan: return Foundation.atan(x)
    case .sinh: return Foundation.sinh(x)
    case .cosh: return Foundation.cosh(x)
    case .tanh: return Foundation.tanh(x)
    case .asinh: return Foundation.asinh(x)
    case .acosh: return Foundation.acosh(x)
    case .atanh: return Foundation.atanh(x)
    case .lt: return x < y ? 1 : 0
    case .le: return x <= y ? 1 : 0
    case .gt: return x > y ? 1 : 0
    case .ge: return x >= y ? 1 : 0
    case .eq: return x == y ? 1 : 0
    case .neq: return x != y ? 1 : 0
    case .and: return (x != 0 && y != 0) ? 1 : 0
    case .or: return (x != 0 || y != 0) ? 1 : 0
    case .not: return x == 0 ? 1 : 0
    case .xor: return ((x != 0) != (y != 0)) ? 1 : 0
    case .select: return x != 0 ? y : z
    }
}

/// A hash-consed expression DAG. Node ids are topologically ordered: a node's arguments always
/// have smaller ids. Equal sub-expressions are stored once (common subexpressions are shared).
/// Construction simplifies: constants fold, and x+0, x*1, x*0, x^1, x^0, --x, x/1 reduce;
/// x^2, x^3 and x^4 become products.
struct Graph {
    private(set) var nodes: [GNode] = []
    private var index: [GNode: NodeID] = [:]

    let zero: NodeID
    let one: NodeID
    let timeNode: NodeID

    init() {
        zero = 0
        one = 1
        timeNode = 2
        _ = intern(GNode(op: .const, value: 0))
        _ = intern(GNode(op: .const, value: 1))
        _ = intern(GNode(op: .time))
    }

    var count: Int { nodes.count }
    subscript(id: NodeID) -> GNode { nodes[Int(id)] }

    private mutating func intern(_ n: GNode) -> NodeID {
        if n.op == .const && n.value.isNaN {
            nodes.append(n)
            return NodeID(nodes.count - 1)
        }
        if let id = index[n] { return id }
        let id = NodeID(nodes.count)
        nodes.append(n)
        index[n] = id
        return id
    }

    func constValue(_ id: NodeID) -> Double? {
        let n = nodes[Int(id)]
        return n.op == .const ? n.value : nil
    }

    func isConst(_ id: NodeID, _ v: Double) -> Bool {
        let n = nodes[Int(id)]
        return n.op == .const && n.value == v && n.value.sign == v.sign
    }

    mutating func const(_ v: Double) -> NodeID { intern(GNode(op: .const, value: v)) }
    mutating func param(_ i: Int) -> NodeID { intern(GNode(op: .param, a: Int32(i))) }
    mutating func state(_ i: Int) -> NodeID { intern(GNode(op: .state, a: Int32(i))) }
    mutating func nominal(_ i: Int) -> NodeID { intern(GNode(op: .nominal, a: Int32(i))) }
    mutating func delayed(_ i: Int) -> NodeID { intern(GNode(op: .delayed, a: Int32(i))) }
    mutating func flag(_ i: Int) -> NodeID { intern(GNode(op: .flag, a: Int32(i))) }

    /// Builds `op(args)`, simplifying where exact (or where the symbolic-derivative convention
    /// x*0 = 0 applies).
    mutating func make(_ op: GOp, _ a: NodeID, _ b: NodeID = -1, _ c: NodeID = -1) -> NodeID {
        // Constant folding.
        let ca = constValue(a)
        let cb = b >= 0 ? constValue(b) : 0
        let cc = c >= 0 ? constValue(c) : 0
        if let x = ca, let y = cb, let z = cc {
            return const(evaluate(op, x, y, z))
        }
        switch op {
        case .add:
            if isConst(a, 0) { return b }
            if isConst(b, 0) { return a }
        case .sub:
            if isConst(b, 0) { return a }
            if isConst(a, 0) { return make(.neg, b) }
        case .mul:
            if isConst(a, 0) || isConst(b, 0) { return zero }
            if isConst(a, 1) { return b }
            if isConst(b, 1) { return a }
            if isConst(a, -1) { return make(.neg, b) }
            if isConst(b, -1) { return make(.neg, a) }
        case .div:
            if isConst(b, 1) { return a }
            if isConst(a, 0) { return zero }
        case .pow:
            if isConst(b, 1) { return a }
            if isConst(b, 0) { return one }
            // Small whole powers as products: a multiplication costs a fraction of a call to
            // pow, and x·x is the correctly rounded square (pow may be an ulp off).
            if isConst(b, 2) { return mul(a, a) }
            if isConst(b, 3) { return mul(mul(a, a), a) }
            if isConst(b, 4) { let s = mul(a, a); return mul(s, s) }
        case .neg:
            let n = nodes[Int(a)]
            if n.op == .neg { return n.a }
        case .select:
            if let x = ca { return x != 0 ? b : c }
            if b == c { return b }
        default: break
        }
        return intern(GNode(op: op, a: a, b: b, c: c))
    }

    mutating func add(_ a: NodeID, _ b: NodeID) -> NodeID { make(.add, a, b) }
    mutating func sub(_ a: NodeID, _ b: NodeID) -> NodeID { make(.sub, a, b) }
    mutating func mul(_ a: NodeID, _ b: NodeID) -> NodeID { make(.mul, a, b) }
    mutating func div(_ a: NodeID, _ b: NodeID) -> NodeID { make(.div, a, b) }
    mutating func neg(_ a: NodeID) -> NodeID { make(.neg, a) }

    // MARK: Dependencies and derivatives

    /// For each node up to the current count, whether it depends on `leaf` (flags in id order).
    func dependsOn(_ leaf: NodeID) -> [Bool] {
        var flags = [Bool](repeating: false, count: nodes.count)
        flags[Int(leaf)] = true
        for i in Int(leaf) + 1 ..< nodes.count {
            let n = nodes[i]
            if n.op.isLeaf { continue }
            if flags[Int(n.a)] || (n.b >= 0 && flags[Int(n.b)]) || (n.c >= 0 && flags[Int(n.c)]) { flags[i] = true }
        }
        return flags
    }

    /// Symbolic derivatives of `outputs` with respect to the leaf node `leaf`, by forward
    /// accumulation over the DAG in topological order (each node differentiated once).
    mutating func derivatives(of outputs: [NodeID], wrt leaf: NodeID) -> [NodeID] {
        let limit = (outputs.max() ?? 0) + 1
        guard Int(leaf) < Int(limit) else { return outputs.map { _ in zero } }
        let flags = dependsOn(leaf)
        var d = [NodeID](repeating: zero, count: Int(limit))
        d[Int(leaf)] = one
        if Int(leaf) + 1 < Int(limit) {
            for i in Int(leaf) + 1 ..< Int(limit) where flags[i] {
                d[i] = derivative(of: NodeID(i), given: d)
            }
        }
        return outputs.map { d[Int($0)] }
    }

    private mutating func derivative(of id: NodeID, given d: [NodeID]) -> NodeID {
        let n = nodes[Int(id)]
        let a = n.a, b = n.b
        let da = a >= 0 && !n.op.isLeaf ? d[Int(a)] : zero
        let db = b >= 0 ? d[Int(b)] : zero
        switch n.op {
        case .const, .time, .param, .state, .nominal, .delayed, .flag: return zero
        case .add: return add(da, db)
        case .sub: return sub(da, db)
        case .mul: return add(mul(da, b), mul(a, db))
        case .div:
            // (da*b - a*db) / b^2  written as da/b - (a/b)*db/b
            let q = div(da, b)
            if db == zero { return q }
            return sub(q, div(mul(id, db), b))
        case .pow:
            var out = zero
            if da != zero {
                // b * a^(b-1) * da
                if let k = constValue(b) {
                    out = mul(mul(const(k), make(.pow, a, const(k - 1))), da)
                } else {
                    out = mul(mul(b, make(.pow, a, sub(b, one))), da)
                }
            }
            if db != zero {
                out = add(out, mul(mul(id, make(.ln, a)), db))
            }
            return out
        case .neg: return neg(da)
        case .exp: return mul(id, da)
        case .ln: return div(da, a)
        case .log10: return div(da, mul(a, const(Foundation.log(10.0))))
        case .sqrt: return div(da, mul(const(2), id))
        case .abs: return mul(make(.sign, a), da)
        case .sin: return mul(make(.cos, a), da)
        case .cos: return neg(mul(make(.sin, a), da))
        case .tan:
            let c = make(.cos, a)
            return div(da, mul(c, c))
        case .asin: return div(da, make(.sqrt, sub(one, mul(a, a))))
        case .acos: return neg(div(da, make(.sqrt, sub(one, mul(a, a)))))
        case .atan: return div(da, add(one, mul(a, a)))
        case .sinh: return mul(make(.cosh, a), da)
        case .cosh: return mul(make(.sinh, a), da)
        case .tanh:
            let c = make(.cosh, a)
            return div(da, mul(c, c))
        case .asinh: return div(da, make(.sqrt, add(mul(a, a), one)))
        case .acosh: return div(da, make(.sqrt, sub(mul(a, a), one)))
        case .atanh: return div(da, sub(one, mul(a, a)))
        case .min: return make(.select, make(.le, a, b), da, db)
        case .max: return make(.select, make(.ge, a, b), da, db)
        case .select: return make(.select, a, d[Int(b)], d[Int(n.c)])
        case .rem:
            // d(x - y*trunc(x/y)) = dx - trunc(x/y)*dy (piecewise)
            return sub(da, mul(make(.quotient, a, b), db))
        case .floor, .ceil, .sign, .factorial, .quotient,
            .lt, .le, .gt, .ge, .eq, .neq, .and, .or, .not, .xor:
            if n.op == .factorial && da != zero {
                // d Γ(x+1) has no elementary form; treated as zero (factorial of constants only).
                return zero
            }
            return zero
        }
    }
}
