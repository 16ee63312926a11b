import CascadeCore
import Foundation

/// A model the compiler cannot turn into ODEs, naming the element at fault.
public struct CompileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var element: String
    public var message: String
    public init(element: String, _ message: String) {
        self.element = element
        self.message = message
    }
    public var description: String { "\(element): \(message)" }
}

/// What a state variable holds.
enum StateKind: Hashable, Sendable {
    /// A species' amount (changed by reactions, or by a rate rule on a species with only
    /// substance units).
    case speciesAmount(compartment: String)
    /// A species' concentration, set by a rate rule.
    case speciesConcentration(compartment: String)
    case compartment, parameter, stoichiometry
}

/// A boolean condition over atoms `g <op> 0`, evaluated from the atoms' tracked truth values.
indirect enum BoolTree: Sendable {
    case constant(Bool)
    case atom(Int)
    case not(BoolTree)
    case and(BoolTree, BoolTree)
    case or(BoolTree, BoolTree)
    case xor(BoolTree, BoolTree)

    func evaluate(_ atoms: [Bool]) -> Bool {
        switch self {
        case .constant(let b): return b
        case .atom(let i): return atoms[i]
        case .not(let x): return !x.evaluate(atoms)
        case .and(let x, let y): return x.evaluate(atoms) && y.evaluate(atoms)
        case .or(let x, let y): return x.evaluate(atoms) || y.evaluate(atoms)
        case .xor(let x, let y): return x.evaluate(atoms) != y.evaluate(atoms)
        }
    }
}

/// Turns a `Model` into graph nodes: one value node per id (in the running simulation and at the
/// start), right-hand sides, events and discontinuities. Everything symbolic happens here, once.
final class Lowerer {
    enum Mode { case dynamic, initial }

    var g = Graph()
    let model: Model
    let compartments: [String: Compartment]
    let species: [String: Species]
    let parameters: [String: Parameter]
    let speciesRefs: [String: SpeciesReference]
    let reactions: [String: Reaction]
    let functions: [String: FunctionDefinition]
    let observables: [String: Observable]
    var assignmentRules: [String: Expr] = [:]
    /// Every distinct `delay(x, d)` of the model, in order of first appearance; each has a
    /// parameter register `delay·k` (not an SBML id) that the simulator fills.
    var delays: [(x: Expr, d: Expr, reaction: String?)] = []
    struct DelayKey: Hashable {
        var expression: Expr
        /// The reaction whose local parameters the expression may read.
        var reaction: String?
    }
    var delayIndex: [DelayKey: Int] = [:]
    private var delayInitialMemo: [Int: NodeID] = [:]
    var rateRules: [String: Expr] = [:]
    /// Variables algebraic rules determine that are states of a differential-algebraic system,
    /// with the residual (`0 = math`) that takes the place of their rate.
    var algebraicRules: [String: Expr] = [:]
    var initialAssignments: [String: Expr] = [:]

    // Layout.
    var stateIds: [String] = []
    var stateKinds: [StateKind] = []
    /// For each state, whether it is algebraic (its `rhs` is a residual, not a rate).
    var stateIsAlgebraic: [Bool] = []
    var stateIndex: [String: Int] = [:]
    var paramIds: [String] = []
    var paramIndex: [String: Int] = [:]
    var nominalIds: [String] = []
    var nominalValues: [Double] = []
    var nominalIndex: [String: Int] = [:]

    private var dynamicMemo: [String: NodeID] = [:]
    private var initialMemo: [String: NodeID] = [:]
    private var inProgress: Set<String> = []
    private struct CallKey: Hashable {
        var function: String
        var initial: Bool
        var arguments: [NodeID]
    }
    private var callMemo: [CallKey: NodeID] = [:]
    private var rhsMemo: [Int: NodeID] = [:]
    private var rhsInProgress: Set<Int> = []

    // Atoms: g <op> 0.
    var atomNodes: [NodeID] = []
    var atomOps: [GOp] = []
    private var atomIndex: [Int64: Int] = [:]

    /// Values of symbols before the start that differ from their values at the start (the
    /// species of a fast-reaction equilibrium: their declared values), for `delay`'s history.
    let historyValues: [String: Expr]

    init(_ model: Model, algebraic residuals: [AlgebraicRules.Residual] = [], history: [String: Expr] = [:]) throws {
        self.model = model
        historyValues = history
        func table<T>(_ items: [T], _ key: (T) -> String) -> [String: T] {
            Dictionary(items.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        }
        compartments = table(model.compartments, \.id)
        species = table(model.species, \.id)
        parameters = table(model.parameters, \.id)
        reactions = table(model.reactions, \.id)
        functions = table(model.functions, \.id)
        observables = table(model.observables, \.id)
        var refs: [String: SpeciesReference] = [:]
        for r in model.reactions {
            for sr in r.reactants + r.products { if let id = sr.id { refs[id] = sr } }
            if r.fast {
                throw CompileError(element: r.id, "fast reactions are not supported")
            }
        }
        speciesRefs = refs
        for rule in model.rules {
            switch rule {
            case .assignment(let v, let m): assignmentRules[v] = m
            case .rate(let v, let m): rateRules[v] = m
            case .algebraic: break
            }
        }
        for r in residuals { algebraicRules[r.variable] = r.math }
        let algebraicCount = model.rules.filter { if case .algebraic = $0 { return true } else { return false } }.count
        guard algebraicCount == residuals.count else {
            throw CompileError(element: "algebraic rule", "algebraic rules must be paired with the variables they determine first")
        }
        for ia in model.initialAssignments { initialAssignments[ia.variable] = ia.math }
        collectDelays()
        try layOut()
    }

    // MARK: Layout

    private func addState(_ id: String, _ kind: StateKind) {
        stateIndex[id] = stateIds.count
        stateIds.append(id)
        stateKinds.append(kind)
        stateIsAlgebraic.append(algebraicRules[id] != nil)
    }

    /// Whether a rate rule or an algebraic rule makes `id` a state of its own.
    private func ruledState(_ id: String) -> Bool { rateRules[id] != nil || algebraicRules[id] != nil }

    private func addParam(_ id: String) {
        paramIndex[id] = paramIds.count
        paramIds.append(id)
    }

    private func addNominal(_ id: String, _ value: Double) {
        nominalIndex[id] = nominalIds.count
        nominalIds.append(id)
        nominalValues.append(value)
    }

    private func layOut() throws {
        var inReactions = Set<String>()
        for r in model.reactions {
            for sr in r.reactants + r.products { inReactions.insert(sr.species) }
        }
        for c in model.compartments {
            if ruledState(c.id) { addState(c.id, .compartment) } else if assignmentRules[c.id] == nil { addParam(c.id) }
            if assignmentRules[c.id] == nil {
                // A zero-dimensional compartment without a size has size 1 (a pure count).
                if let v = c.size { addNominal(c.id, v) } else if c.spatialDimensions == 0 { addNominal(c.id, 1) }
            }
        }
        for s in model.species {
            if assignmentRules[s.id] != nil { continue }
            if ruledState(s.id) {
                addState(
                    s.id,
                    s.hasOnlySubstanceUnits
                        ? .speciesAmount(compartment: s.compartment)
                        : .speciesConcentration(compartment: s.compartment))
            } else if !s.constant && !s.boundaryCondition && inReactions.contains(s.id) {
                addState(s.id, .speciesAmount(compartment: s.compartment))
            } else {
                addParam(s.id)
            }
            if let q = s.initial { addNominal(s.id, q.value) }
        }
        for p in model.parameters {
            if ruledState(p.id) { addState(p.id, .parameter) } else if assignmentRules[p.id] == nil { addParam(p.id) }
            if assignmentRules[p.id] == nil, let v = p.value { addNominal(p.id, v) }
        }
        for r in model.reactions {
            for sr in r.reactants + r.products {
                guard let id = sr.id else { continue }
                if ruledState(id) { addState(id, .stoichiometry) } else if assignmentRules[id] == nil { addParam(id) }
                if assignmentRules[id] == nil { addNominal(id, sr.stoichiometry) }
            }
            for lp in r.localParameters {
                let key = localKey(r.id, lp.id)
                addParam(key)
                guard let v = lp.value else {
                    throw CompileError(element: r.id, "local parameter '\(lp.id)' has no value")
                }
                addNominal(key, v)
            }
        }
        // Delay registers come last, so they form one range of varying parameters.
        for k in delays.indices { addParam(Self.delayKey(k)) }
    }

    func localKey(_ reaction: String, _ local: String) -> String { "\(reaction).\(local)" }

    static func delayKey(_ k: Int) -> String { "delay·\(k)" }

    /// Finds the delays of the model's expressions (outside function definitions).
    private func collectDelays() {
        var all: [Expr] =
            model.rules.map(\.math) + model.reactions.map(\.rate) + model.initialAssignments.map(\.math)
            + model.observables.map(\.math)
        for e in model.events {
            all.append(e.trigger)
            all += e.assignments.map(\.math)
            if let d = e.delay { all.append(d) }
            if let p = e.priority { all.append(p) }
        }
        var sources: [(Expr, String?)] = all.map { ($0, nil) }
        for r in model.reactions where !r.localParameters.isEmpty {
            sources.removeAll { $0.0 == r.rate && $0.1 == nil }
            sources.append((r.rate, r.id))
        }
        for (e, reaction) in sources {
            e.visit { node in
                let key = DelayKey(expression: node, reaction: reaction)
                if case .apply(.delay, let args) = node, args.count == 2, delayIndex[key] == nil {
                    delayIndex[key] = delays.count
                    delays.append((args[0], args[1], reaction))
                }
            }
        }
    }

    /// The local parameters a delay's expressions see.
    func delayEnvironment(_ k: Int, _ mode: Mode) -> [String: NodeID] {
        guard let id = delays[k].reaction, let r = reactions[id] else { return [:] }
        var env: [String: NodeID] = [:]
        for lp in r.localParameters {
            let key = localKey(r.id, lp.id)
            env[lp.id] = mode == .dynamic ? g.param(paramIndex[key]!) : g.nominal(nominalIndex[key]!)
        }
        return env
    }

    /// Delay `k`'s expression before the start, as a function of time: every value as at the
    /// start (initial assignments and rules evaluated at that time), rates of change zero.
    func delayHistory(_ k: Int, context: String) throws -> NodeID {
        let env = delayEnvironment(k, .initial)
        let still = delays[k].x.rewritten { e in
            if case .apply(.rateOf, _) = e { return .number(0) }
            if case .symbol(let id) = e, env[id] == nil, let before = historyValues[id] { return before }
            return nil
        }
        return try lower(still, .initial, env: env, context: context)
    }

    /// The value of delay `k` at the start: its expression with time moved back by the delay,
    /// every other value at its initial value (the history before the start).
    func delayInitial(_ k: Int, context: String) throws -> NodeID {
        if let n = delayInitialMemo[k] { return n }
        let history = try delayHistory(k, context: context)
        let d = try lower(delays[k].d, .initial, env: delayEnvironment(k, .initial), context: context)
        let back = g.sub(g.timeNode, d)
        var memo: [NodeID: NodeID] = [g.timeNode: back]
        func walk(_ id: NodeID) -> NodeID {
            if let m = memo[id] { return m }
            let n = g[id]
            let out: NodeID
            if n.op.isLeaf {
                out = id
            } else {
                let a = walk(n.a)
                let b = n.b >= 0 ? walk(n.b) : -1
                let c = n.c >= 0 ? walk(n.c) : -1
                out = g.make(n.op, a, b, c)
            }
            memo[id] = out
            return out
        }
        let n = walk(history)
        delayInitialMemo[k] = n
        return n
    }

    // MARK: Expressions

    func lower(_ e: Expr, _ mode: Mode, env: [String: NodeID] = [:], context: String) throws -> NodeID {
        switch e {
        case .number(let v): return g.const(v)
        case .time: return g.timeNode
        case .symbol(let s):
            if let n = env[s] { return n }
            return try value(s, mode, context: context)
        case .call(let f, let args):
            guard let fd = functions[f] else { throw CompileError(element: context, "unknown function '\(f)'") }
            guard fd.arguments.count == args.count else {
                throw CompileError(element: context, "function '\(f)' takes \(fd.arguments.count) arguments, given \(args.count)")
            }
            var inner: [String: NodeID] = [:]
            var argumentNodes: [NodeID] = []
            for (name, a) in zip(fd.arguments, args) {
                let n = try lower(a, mode, env: env, context: context)
                inner[name] = n
                argumentNodes.append(n)
            }
            // A call with the same argument nodes is the same node: the graph is hash-consed, so
            // lowering the body again would only find the nodes it already has. Remembering the
            // call keeps inlining linear where it was exponential (`g2(x) = g1(x) + g1(x)`, 40
            // levels deep, lowered the innermost body 2^40 times).
            let key = CallKey(function: f, initial: mode == .initial, arguments: argumentNodes)
            if let n = callMemo[key] { return n }
            // Function bodies see only their arguments.
            let n = try lower(fd.body, mode, env: inner, context: "\(context) (in function \(f))")
            callMemo[key] = n
            return n
        case .piecewise(let pieces, let otherwise):
            var acc = try otherwise.map { try lower($0, mode, env: env, context: context) } ?? g.const(.nan)
            for p in pieces.reversed() {
                let c = try lower(p.condition, mode, env: env, context: context)
                let v = try lower(p.value, mode, env: env, context: context)
                acc = g.make(.select, c, v, acc)
            }
            return acc
        case .apply(.delay, let args):
            let reaction = reactions[context].flatMap { $0.localParameters.isEmpty ? nil : $0.id }
            guard let k = delayIndex[DelayKey(expression: e, reaction: reaction)] ?? delayIndex[DelayKey(expression: e, reaction: nil)] else {
                throw CompileError(element: context, "delay inside a function definition is not supported")
            }
            guard args.count == 2 else { throw CompileError(element: context, "'delay' takes 2 arguments") }
            if mode == .initial { return try delayInitial(k, context: context) }
            return g.delayed(paramIndex[Self.delayKey(k)]!)
        case .apply(let op, let args):
            if op == .rateOf {
                guard args.count == 1, case .symbol(let x) = args[0] else {
                    throw CompileError(element: context, "rateOf takes one variable id")
                }
                if env[x] != nil { return g.zero }  // a local parameter or function argument is constant
                let rate = try rateOf(x, context: context)
                if mode == .initial { return try atStart(rate, context: context) }
                return rate
            }
            let a = try args.map { try lower($0, mode, env: env, context: context) }
            return try apply(op, a, context: context)
        }
    }

    private func fold(_ op: GOp, _ a: [NodeID], empty: Double) -> NodeID {
        guard var acc = a.first else { return g.const(empty) }
        for x in a.dropFirst() { acc = g.make(op, acc, x) }
        return acc
    }

    private func apply(_ op: Op, _ a: [NodeID], context: String) throws -> NodeID {
        func need(_ n: Int) throws {
            if a.count != n { throw CompileError(element: context, "'\(op.rawValue)' takes \(n) arguments, given \(a.count)") }
        }
        func recip(_ x: NodeID) -> NodeID { g.div(g.one, x) }
        switch op {
        case .add: return fold(.add, a, empty: 0)
        case .mul: return fold(.mul, a, empty: 1)
        case .sub:
            if a.count == 1 { return g.neg(a[0]) }
            try need(2); return g.sub(a[0], a[1])
        case .neg: try need(1); return g.neg(a[0])
        case .div: try need(2); return g.div(a[0], a[1])
        case .pow: try need(2); return g.make(.pow, a[0], a[1])
        case .eq, .neq, .lt, .le, .gt, .ge:
            guard a.count >= 2 else { throw CompileError(element: context, "'\(op.rawValue)' needs two arguments") }
            let gop: GOp = [.eq: .eq, .neq: .neq, .lt: .lt, .le: .le, .gt: .gt, .ge: .ge][op]!
            var terms: [NodeID] = []
            for i in 0 ..< a.count - 1 { terms.append(g.make(gop, a[i], a[i + 1])) }
            return fold(.and, terms, empty: 1)
        case .and: return fold(.and, a.map { g.make(.neq, $0, g.zero) }, empty: 1)
        case .or: return fold(.or, a.map { g.make(.neq, $0, g.zero) }, empty: 0)
        case .xor: return fold(.xor, a.map { g.make(.neq, $0, g.zero) }, empty: 0)
        case .not: try need(1); return g.make(.not, a[0])
        case .exp: try need(1); return g.make(.exp, a[0])
        case .ln: try need(1); return g.make(.ln, a[0])
        case .log10: try need(1); return g.make(.log10, a[0])
        case .log:
            if a.count == 1 { return g.make(.ln, a[0]) }
            try need(2)
            if g.constValue(a[0]) == 10 { return g.make(.log10, a[1]) }
            return g.div(g.make(.ln, a[1]), g.make(.ln, a[0]))
        case .sqrt: try need(1); return g.make(.sqrt, a[0])
        case .root:
            if a.count == 1 { return g.make(.sqrt, a[0]) }
            try need(2)
            if g.constValue(a[0]) == 2 { return g.make(.sqrt, a[1]) }
            return g.make(.pow, a[1], recip(a[0]))
        case .abs: try need(1); return g.make(.abs, a[0])
        case .floor: try need(1); return g.make(.floor, a[0])
        case .ceil: try need(1); return g.make(.ceil, a[0])
        case .factorial: try need(1); return g.make(.factorial, a[0])
        case .rem: try need(2); return g.make(.rem, a[0], a[1])
        case .quotient: try need(2); return g.make(.quotient, a[0], a[1])
        case .min:
            guard !a.isEmpty else { throw CompileError(element: context, "min needs an argument") }
            return fold(.min, a, empty: 0)
        case .max:
            guard !a.isEmpty else { throw CompileError(element: context, "max needs an argument") }
            return fold(.max, a, empty: 0)
        case .sin: try need(1); return g.make(.sin, a[0])
        case .cos: try need(1); return g.make(.cos, a[0])
        case .tan: try need(1); return g.make(.tan, a[0])
        case .sec: try need(1); return recip(g.make(.cos, a[0]))
        case .csc: try need(1); return recip(g.make(.sin, a[0]))
        case .cot: try need(1); return recip(g.make(.tan, a[0]))
        case .asin: try need(1); return g.make(.asin, a[0])
        case .acos: try need(1); return g.make(.acos, a[0])
        case .atan: try need(1); return g.make(.atan, a[0])
        case .asec: try need(1); return g.make(.acos, recip(a[0]))
        case .acsc: try need(1); return g.make(.asin, recip(a[0]))
        case .acot: try need(1); return g.make(.atan, recip(a[0]))
        case .sinh: try need(1); return g.make(.sinh, a[0])
        case .cosh: try need(1); return g.make(.cosh, a[0])
        case .tanh: try need(1); return g.make(.tanh, a[0])
        case .sech: try need(1); return recip(g.make(.cosh, a[0]))
        case .csch: try need(1); return recip(g.make(.sinh, a[0]))
        case .coth: try need(1); return recip(g.make(.tanh, a[0]))
        case .asinh: try need(1); return g.make(.asinh, a[0])
        case .acosh: try need(1); return g.make(.acosh, a[0])
        case .atanh: try need(1); return g.make(.atanh, a[0])
        case .asech: try need(1); return g.make(.acosh, recip(a[0]))
        case .acsch: try need(1); return g.make(.asinh, recip(a[0]))
        case .acoth: try need(1); return g.make(.atanh, recip(a[0]))
        case .rateOf: throw CompileError(element: context, "rateOf takes one variable id")
        case .delay: throw CompileError(element: context, "delay inside a function definition is not supported")
        }
    }

    // MARK: Values of ids

    /// The node for the value of `id` (SBML semantics: species as concentration unless they have
    /// only substance units) in the running simulation or at the start.
    func value(_ id: String, _ mode: Mode, context: String) throws -> NodeID {
        if let n = (mode == .dynamic ? dynamicMemo[id] : initialMemo[id]) { return n }
        if definition(of: id, mode) != nil { try prefetchDefinitions(id, mode) }
        let key = (mode == .dynamic ? "d:" : "i:") + id
        if inProgress.contains(key) {
            throw CompileError(element: id, "'\(id)' depends on itself through rules or initial assignments")
        }
        inProgress.insert(key)
        defer { inProgress.remove(key) }
        let n = try computeValue(id, mode, context: context)
        if mode == .dynamic { dynamicMemo[id] = n } else { initialMemo[id] = n }
        return n
    }

    /// The expression that defines `id` in `mode`, when a rule or an initial assignment does.
    private func definition(of id: String, _ mode: Mode) -> Expr? {
        mode == .dynamic ? assignmentRules[id] : (initialAssignments[id] ?? assignmentRules[id])
    }

    /// Lowers the rules and initial assignments `id` depends on, deepest first, so that lowering
    /// `id` itself recurses only one rule deep. A chain of 10,000 rules (`v0 := v1`,
    /// `v1 := v2`, ...) overflowed the stack when each rule lowered the next recursively.
    private func prefetchDefinitions(_ id: String, _ mode: Mode) throws {
        let memo = mode == .dynamic ? dynamicMemo : initialMemo
        let walk = dependencyOrder(
            from: id,
            edges: { x in
                guard let e = self.definition(of: x, mode) else { return [] }
                return e.symbols.filter { self.definition(of: $0, mode) != nil && memo[$0] == nil }.sorted()
            })
        if let cycle = walk.cycle {
            throw CompileError(element: cycle[0], "'\(cycle[0])' depends on itself through rules or initial assignments: \(cycle.joined(separator: " → "))")
        }
        for x in walk.order.dropLast() { _ = try value(x, mode, context: x) }
    }

    private func computeValue(_ id: String, _ mode: Mode, context: String) throws -> NodeID {
        if mode == .initial {
            // A variable an algebraic rule determines needs only a starting guess for the
            // consistent initialisation: its declared value, else 1.
            if algebraicRules[id] != nil && initialAssignments[id] == nil && nominalIndex[id] == nil { return g.one }
            if let ia = initialAssignments[id] { return try lower(ia, .initial, context: id) }
            if let r = assignmentRules[id] { return try lower(r, .initial, context: id) }
            if let s = species[id] {
                guard let q = s.initial, let qi = nominalIndex[id] else {
                    throw CompileError(element: id, "species '\(id)' has no initial value")
                }
                let declared = g.nominal(qi)
                let v = try value(s.compartment, .initial, context: id)
                switch (q, s.hasOnlySubstanceUnits) {
                case (.amount, true), (.concentration, false): return declared
                case (.concentration, true): return g.mul(declared, v)
                case (.amount, false): return g.div(declared, v)
                }
            }
            if let r = reactions[id] { return try reactionRate(r, .initial) }
            if let o = observables[id] { return try lower(o.math, .initial, context: id) }
            if let qi = nominalIndex[id] { return g.nominal(qi) }
            throw CompileError(element: id, "'\(id)' has no value")
        }
        if let r = assignmentRules[id] { return try lower(r, .dynamic, context: id) }
        if let s = species[id] {
            if let k = stateIndex[id] {
                if case .speciesConcentration = stateKinds[k] { return g.state(k) }
                let amount = g.state(k)
                return s.hasOnlySubstanceUnits ? amount : g.div(amount, try value(s.compartment, .dynamic, context: id))
            }
            guard let j = paramIndex[id] else { throw CompileError(element: id, "'\(id)' has no value") }
            let amount = g.param(j)
            return s.hasOnlySubstanceUnits ? amount : g.div(amount, try value(s.compartment, .dynamic, context: id))
        }
        if let r = reactions[id] { return try reactionRate(r, .dynamic) }
        if let o = observables[id] { return try lower(o.math, .dynamic, context: id) }
        if let k = stateIndex[id] { return g.state(k) }
        if let j = paramIndex[id] { return g.param(j) }
        throw CompileError(element: context, "unknown id '\(id)'")
    }

    /// A species' amount from its value node.
    func amount(ofSpecies id: String, value v: NodeID, _ mode: Mode) throws -> NodeID {
        guard let s = species[id] else { return v }
        if s.hasOnlySubstanceUnits { return v }
        return g.mul(v, try value(s.compartment, mode, context: id))
    }

    func reactionRate(_ r: Reaction, _ mode: Mode) throws -> NodeID {
        var env: [String: NodeID] = [:]
        for lp in r.localParameters {
            let key = localKey(r.id, lp.id)
            env[lp.id] = mode == .dynamic ? g.param(paramIndex[key]!) : g.nominal(nominalIndex[key]!)
        }
        return try lower(r.rate, mode, env: env, context: r.id)
    }

    // MARK: Right-hand side

    /// d(state k)/dt.
    func rhs(_ k: Int) throws -> NodeID {
        if let n = rhsMemo[k] { return n }
        if rhsInProgress.contains(k) {
            throw CompileError(element: stateIds[k], "the rate of '\(stateIds[k])' depends on itself through rateOf")
        }
        rhsInProgress.insert(k)
        defer { rhsInProgress.remove(k) }
        let id = stateIds[k]
        let n: NodeID
        if let residual = algebraicRules[id] {
            n = try lower(residual, .dynamic, context: "algebraic rule for '\(id)'")
        } else if let rr = rateRules[id] {
            n = try lower(rr, .dynamic, context: id)
        } else {
            n = try reactionSum(id)
        }
        rhsMemo[k] = n
        return n
    }

    private func reactionSum(_ speciesId: String) throws -> NodeID {
        guard let s = species[speciesId] else { return g.zero }
        var acc = g.zero
        for r in model.reactions {
            var net: NodeID = g.zero
            var touched = false
            for (refs, sign) in [(r.reactants, -1.0), (r.products, 1.0)] {
                for sr in refs where sr.species == speciesId {
                    touched = true
                    let st: NodeID = try sr.id.map { try value($0, .dynamic, context: r.id) } ?? g.const(sr.stoichiometry)
                    net = sign > 0 ? g.add(net, st) : g.sub(net, st)
                }
            }
            guard touched, net != g.zero else { continue }
            let rate = try value(r.id, .dynamic, context: r.id)
            acc = g.add(acc, g.mul(net, rate))
        }
        if let cf = s.conversionFactor ?? model.conversionFactor {
            acc = g.mul(acc, try value(cf, .dynamic, context: speciesId))
        }
        return acc
    }

    private func rateOf(_ x: String, context: String) throws -> NodeID {
        if algebraicRules[x] != nil {
            throw CompileError(element: context, "rateOf('\(x)'): '\(x)' is determined by an algebraic rule that is not affine in it")
        }
        if let k = stateIndex[x] {
            let d = try rhs(k)
            if case .speciesAmount = stateKinds[k], let s = species[x], !s.hasOnlySubstanceUnits {
                return g.div(d, try value(s.compartment, .dynamic, context: x))
            }
            return d
        }
        if assignmentRules[x] != nil {
            // Total derivative of the rule: ∂/∂t + Σ ∂/∂y_k · dy_k/dt.
            let v = try value(x, .dynamic, context: context)
            var total = g.derivatives(of: [v], wrt: g.timeNode)[0]
            for k in 0 ..< stateIds.count {
                let dk = g.derivatives(of: [v], wrt: g.state(k))[0]
                if dk != g.zero && stateIsAlgebraic[k] {
                    throw CompileError(
                        element: context, "rateOf('\(x)'): '\(x)' depends on '\(stateIds[k])', which an algebraic rule determines")
                }
                if dk != g.zero { total = g.add(total, g.mul(dk, try rhs(k))) }
            }
            return total
        }
        if species[x] != nil || parameters[x] != nil || compartments[x] != nil || speciesRefs[x] != nil {
            return g.zero
        }
        throw CompileError(element: context, "rateOf of unknown id '\(x)'")
    }

    /// Re-expresses a node of the running simulation in terms of values at the start: each state
    /// and parameter leaf is replaced by its initial value.
    func atStart(_ node: NodeID, context: String) throws -> NodeID {
        var memo: [NodeID: NodeID] = [:]
        func walk(_ id: NodeID) throws -> NodeID {
            if let m = memo[id] { return m }
            let n = g[id]
            let out: NodeID
            switch n.op {
            case .state:
                let sid = stateIds[Int(n.a)]
                let v = try value(sid, .initial, context: context)
                if case .speciesAmount = stateKinds[Int(n.a)] { out = try amount(ofSpecies: sid, value: v, .initial) } else { out = v }
            case .param:
                let pid = paramIds[Int(n.a)]
                if let dot = pid.firstIndex(of: "."), reactions[String(pid[..<dot])] != nil {
                    out = g.nominal(nominalIndex[pid]!)
                } else {
                    let v = try value(pid, .initial, context: context)
                    out = species[pid] != nil ? try amount(ofSpecies: pid, value: v, .initial) : v
                }
            case .const, .time, .nominal: out = id
            case .delayed:
                let key = paramIds[Int(n.a)]
                guard let k = delays.indices.first(where: { Self.delayKey($0) == key }) else { out = id; break }
                out = try delayInitial(k, context: context)
            default:
                let a = try walk(n.a)
                let b = n.b >= 0 ? try walk(n.b) : -1
                let c = n.c >= 0 ? try walk(n.c) : -1
                out = g.make(n.op, a, b, c)
            }
            memo[id] = out
            return out
        }
        return try walk(node)
    }

    // MARK: Atoms and conditions

    func atom(_ gnode: NodeID, _ op: GOp) -> Int {
        let key = Int64(gnode) << 8 | Int64(op.rawValue)
        if let i = atomIndex[key] { return i }
        atomIndex[key] = atomNodes.count
        atomNodes.append(gnode)
        atomOps.append(op)
        return atomNodes.count - 1
    }

    /// Lowers a trigger into a boolean tree over atoms.
    func condition(_ e: Expr, context: String) throws -> BoolTree {
        switch e {
        case .call(let f, let args):
            if let fd = functions[f], fd.arguments.count == args.count {
                let body = fd.body.substituting(Dictionary(uniqueKeysWithValues: zip(fd.arguments, args)))
                return try condition(body, context: context)
            }
        case .apply(let op, let args):
            switch op {
            case .and, .or, .xor:
                let parts = try args.map { try condition($0, context: context) }
                guard var acc = parts.first else { return .constant(op == .and) }
                for p in parts.dropFirst() {
                    acc = op == .and ? .and(acc, p) : op == .or ? .or(acc, p) : .xor(acc, p)
                }
                return acc
            case .not where args.count == 1:
                return .not(try condition(args[0], context: context))
            case .eq, .neq, .lt, .le, .gt,
                .ge where args.count >= 2:
                let nodes = try args.map { try lower($0, .dynamic, context: context) }
                let gop: GOp = [.eq: .eq, .neq: .neq, .lt: .lt, .le: .le, .gt: .gt, .ge: .ge][op]!
                var acc: BoolTree?
                for i in 0 ..< nodes.count - 1 {
                    let t = BoolTree.atom(atom(g.sub(nodes[i], nodes[i + 1]), gop))
                    acc = acc.map { .and($0, t) } ?? t
                }
                return acc!
            default: break
            }
        default: break
        }
        let n = try lower(e, .dynamic, context: context)
        if let c = g.constValue(n) { return .constant(c != 0) }
        // A boolean-valued leaf (0 or 1) gets a root function that changes sign at its jump.
        let op = g[n].op
        if op.isRelational || [.and, .or, .not, .xor, .select].contains(op) {
            return .atom(atom(g.sub(n, g.const(0.5)), .gt))
        }
        return .atom(atom(n, .neq))
    }
}
