import CascadeCore

/// Algebraic rules (`0 = g(…)`) paired with the variables they determine.
///
/// SBML leaves it to the simulator to find which variable each algebraic rule determines: one
/// that is not constant, not set by an assignment or rate rule, and not a species that reactions
/// change. Here every rule is paired with one such variable occurring in it (a matching over
/// all rules, preferring variables in which the rule is affine, then variables no event assigns).
/// A rule affine in its variable, `g = a·x + b` with `a` and `b` free of `x` (after inlining
/// functions and assignment rules), becomes the assignment rule `x := −b / a`: the same
/// constraint, exact at every instant, including the start and after events, with no drift. That
/// covers the conservation laws and balances algebraic rules are usually written for (all of the
/// SBML Test Suite's), and the model stays an ODE. Any other rule (`y² + x² = 1`, `y³ + y = x`)
/// stays an algebraic rule: its variable becomes an algebraic state of a differential-algebraic
/// system, integrated by IDA (see `DAESolver`). A rule with no variable it could determine is
/// refused with a `CompileError` naming it.
enum AlgebraicRules {
    /// A rule that stays algebraic: `0 = math`, determining `variable`.
    struct Residual: Hashable, Sendable {
        var variable: String
        var math: Expr
    }

    /// The model with the affine rules as assignment rules, and the other rules (still algebraic
    /// rules of the model, in order) with the variables they determine.
    ///
    /// The last algebraic rules are the equilibria of `fastReactions` (see `FastReactions`):
    /// they determine species of `fastSpecies` only.
    static func solve(
        _ model: Model, fastReactions: [String] = [], fastSpecies: Set<String> = []
    ) throws -> (model: Model, residuals: [Residual]) {
        let fastRules = fastReactions.count
        let rules = model.rules.enumerated().compactMap { i, r -> (Int, Expr)? in
            if case .algebraic(let m) = r { return (i, m) } else { return nil }
        }
        guard !rules.isEmpty else { return (model, []) }

        // Candidates: variables nothing else determines.
        var ruled = Set<String>()
        for r in model.rules { if let v = r.variable { ruled.insert(v) } }
        var changedByReactions = Set<String>()
        for r in model.reactions {
            for sr in r.reactants + r.products { changedByReactions.insert(sr.species) }
        }
        var candidates = Set<String>()
        for p in model.parameters where !p.constant { candidates.insert(p.id) }
        for c in model.compartments where !c.constant { candidates.insert(c.id) }
        for s in model.species where !s.constant && (s.boundaryCondition || !changedByReactions.contains(s.id)) {
            candidates.insert(s.id)
        }
        for r in model.reactions {
            for sr in r.reactants + r.products where !sr.constant { if let id = sr.id { candidates.insert(id) } }
        }
        candidates.subtract(ruled)
        var eventAssigned = Set<String>()
        for e in model.events { for a in e.assignments { eventAssigned.insert(a.variable) } }

        // Each rule with functions and assignment rules inlined, and its affine candidates.
        let inliner = Inliner(model: model)
        var expanded: [Expr] = []
        var options: [[(variable: String, solution: (a: Expr, b: Expr)?)]] = []
        for (k, (_, math)) in rules.enumerated() {
            let e = try inliner.expand(math, owner: "algebraic rule \(k + 1)")
            expanded.append(e)
            var found: [(variable: String, solution: (a: Expr, b: Expr)?)] = []
            let allowed = k >= rules.count - fastRules ? candidates.intersection(fastSpecies) : candidates
            for v in e.symbols.intersection(allowed).sorted() {
                if let (a, b) = affine(e, in: v), !isZero(a) { found.append((v, (a, b))) } else { found.append((v, nil)) }
            }
            // Affine solutions first (exact, and the model stays an ODE); then variables events
            // leave alone: an event assignment to the variable a rule determines would be
            // overruled by the rule at once.
            func rank(_ o: (variable: String, solution: (a: Expr, b: Expr)?)) -> Int {
                (o.solution == nil ? 2 : 0) + (eventAssigned.contains(o.variable) ? 1 : 0)
            }
            found = found.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
            options.append(found)
        }

        // A matching of rules to variables (augmenting paths).
        var owner: [String: Int] = [:]
        var chosen = [Int?](repeating: nil, count: rules.count)
        func augment(_ k: Int, _ seen: inout Set<String>) -> Bool {
            for o in options[k] where !seen.contains(o.variable) {
                seen.insert(o.variable)
                if let j = owner[o.variable] {
                    guard augment(j, &seen) else { continue }
                }
                owner[o.variable] = k
                chosen[k] = options[k].firstIndex { $0.variable == o.variable }
                return true
            }
            return false
        }
        for k in 0 ..< rules.count {
            var seen = Set<String>()
            if !augment(k, &seen) {
                let allowed = k >= rules.count - fastRules ? candidates.intersection(fastSpecies) : candidates
                let vars = expanded[k].symbols.intersection(allowed).sorted()
                let why =
                    vars.isEmpty
                    ? "it contains no variable that is not constant and not set by another rule or by reactions"
                    : "every variable it could determine (\(vars.joined(separator: ", "))) is determined by another algebraic rule"
                if k >= rules.count - fastRules {
                    let reaction = fastReactions[k - (rules.count - fastRules)]
                    throw CompileError(
                        element: reaction,
                        "the equilibrium of fast reaction '\(reaction)' does not determine its species (\(fastSpecies.sorted().joined(separator: ", ")))")
                }
                throw CompileError(element: "algebraic rule \(k + 1)", "cannot be solved: \(why)")
            }
        }

        var out = model
        var residuals: [Residual] = []
        for (k, (index, math)) in rules.enumerated() {
            let o = options[k][chosen[k]!]
            guard let (a, b) = o.solution else {
                residuals.append(Residual(variable: o.variable, math: math))
                continue
            }
            let value: Expr = isOne(a) ? negate(b) : .apply(.div, [negate(b), a])
            out.rules[index] = .assignment(variable: o.variable, math: value)
        }
        return (out, residuals)
    }

    // MARK: - Affine decomposition

    static func isZero(_ e: Expr) -> Bool { e.numericValue == 0 }
    static func isOne(_ e: Expr) -> Bool { e.numericValue == 1 }

    static func negate(_ e: Expr) -> Expr {
        if let v = e.numericValue { return .number(-v) }
        if case .apply(.neg, let a) = e, a.count == 1 { return a[0] }
        return .apply(.neg, [e])
    }

    static func add(_ x: Expr, _ y: Expr) -> Expr {
        if isZero(x) { return y }
        if isZero(y) { return x }
        return .apply(.add, [x, y])
    }

    static func multiply(_ x: Expr, _ y: Expr) -> Expr {
        if isZero(x) || isZero(y) { return .number(0) }
        if isOne(x) { return y }
        if isOne(y) { return x }
        return .apply(.mul, [x, y])
    }

    static func contains(_ e: Expr, _ v: String) -> Bool {
        var found = false
        e.visit { if case .symbol(v) = $0 { found = true } }
        return found
    }

    /// `(a, b)` with `e = a·v + b` and neither `a` nor `b` containing `v`; nil when `e` is not
    /// affine in `v` (or not recognisably so).
    static func affine(_ e: Expr, in v: String) -> (Expr, Expr)? {
        guard contains(e, v) else { return (.number(0), e) }
        switch e {
        case .symbol: return (.number(1), .number(0))
        case .apply(.add, let args):
            var a: Expr = .number(0), b: Expr = .number(0)
            for x in args {
                guard let (ax, bx) = affine(x, in: v) else { return nil }
                a = add(a, ax)
                b = add(b, bx)
            }
            return (a, b)
        case .apply(.sub, let args) where args.count == 2:
            guard let (a1, b1) = affine(args[0], in: v), let (a2, b2) = affine(args[1], in: v) else { return nil }
            return (add(a1, negate(a2)), add(b1, negate(b2)))
        case .apply(.sub, let args) where args.count == 1:
            guard let (a, b) = affine(args[0], in: v) else { return nil }
            return (negate(a), negate(b))
        case .apply(.neg, let args) where args.count == 1:
            guard let (a, b) = affine(args[0], in: v) else { return nil }
            return (negate(a), negate(b))
        case .apply(.mul, let args):
            let with = args.indices.filter { contains(args[$0], v) }
            guard with.count == 1, let (a, b) = affine(args[with[0]], in: v) else { return nil }
            var rest: Expr = .number(1)
            for i in args.indices where i != with[0] { rest = multiply(rest, args[i]) }
            return (multiply(a, rest), multiply(b, rest))
        case .apply(.div, let args) where args.count == 2 && !contains(args[1], v):
            guard let (a, b) = affine(args[0], in: v) else { return nil }
            return (isZero(a) ? a : .apply(.div, [a, args[1]]), isZero(b) ? b : .apply(.div, [b, args[1]]))
        default:
            return nil
        }
    }

    // MARK: - Inlining

    /// Replaces calls of user functions by their bodies and symbols set by assignment rules by
    /// their definitions (recursively), so that every occurrence of a variable is visible.
    struct Inliner {
        let functions: [String: FunctionDefinition]
        let assignments: [String: Expr]

        init(model: Model) {
            functions = Dictionary(model.functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var rules: [String: Expr] = [:]
            for r in model.rules { if case .assignment(let v, let m) = r { rules[v] = m } }
            assignments = rules
        }

        func expand(_ e: Expr, owner: String) throws -> Expr {
            var active: [String] = []
            return try expand(e, owner: owner, active: &active)
        }

        private func expand(_ e: Expr, owner: String, active: inout [String]) throws -> Expr {
            guard active.count < 200 else {
                throw CompileError(element: owner, "functions and assignment rules are nested too deep to solve the rule")
            }
            switch e {
            case .number, .time: return e
            case .symbol(let s):
                guard let def = assignments[s] else { return e }
                guard !active.contains(s) else {
                    throw CompileError(element: owner, "assignment rules refer to each other in a cycle through '\(s)'")
                }
                active.append(s)
                defer { active.removeLast() }
                return try expand(def, owner: owner, active: &active)
            case .apply(.rateOf, _):
                return e  // the derivative of a variable is not the variable
            case .apply(let op, let args):
                return .apply(op, try args.map { try expand($0, owner: owner, active: &active) })
            case .call(let f, let args):
                let expandedArgs = try args.map { try expand($0, owner: owner, active: &active) }
                guard let fd = functions[f], fd.arguments.count == expandedArgs.count else {
                    return .call(f, expandedArgs)
                }
                guard !active.contains("function " + f) else {
                    throw CompileError(element: owner, "function '\(f)' calls itself")
                }
                active.append("function " + f)
                defer { active.removeLast() }
                let body = fd.body.substituting(Dictionary(zip(fd.arguments, expandedArgs), uniquingKeysWith: { a, _ in a }))
                return try expand(body, owner: owner, active: &active)
            case .piecewise(let pieces, let otherwise):
                return .piecewise(
                    try pieces.map {
                        Expr.Piece(
                            try expand($0.value, owner: owner, active: &active),
                            when: try expand($0.condition, owner: owner, active: &active))
                    },
                    otherwise: try otherwise.map { try expand($0, owner: owner, active: &active) })
            }
        }
    }
}
