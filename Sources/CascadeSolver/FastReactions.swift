import CascadeCore
import Foundation

/// Fast reactions (SBML Level 3 Version 1 and Level 2 `fast="true"`) as the equilibrium they
/// define: the fast subsystem is at quasi-steady state at every instant, each fast reaction's
/// rate is zero, and the slow reactions move the totals the fast ones conserve.
///
/// With `S_f` the stoichiometry of the fast reactions over the species they change (amounts),
/// `r` of those species whose rows of `S_f` are independent are the *equilibrium* species `D`;
/// each remaining species `I_k` defines a conserved total
///
///     T_k = I_k + Σ_d L_kd · D_d,   L_k = −(S_f row of I_k) · S_f,D⁻¹   (so L · S_f = 0),
///
/// which only slow reactions change: `dT_k/dt = Σ_j L_kj · (slow rate of change of j)`. The model
/// is rewritten to say exactly that, with the ordinary constructs the compiler already has:
/// - `T_k` is a new parameter with that rate rule and, as initial value, the total of the
///   species' initial amounts;
/// - `I_k` gets the assignment rule `I_k = T_k − Σ_d L_kd · D_d` (as a concentration when it has
///   one);
/// - each fast reaction's rate law becomes the algebraic rule `0 = rate`, determining one of
///   the `D` species. Mass-action equilibria are affine in it and become assignment rules (an
///   ODE); others (`Vmax·A/(Km + A) − kr·B`) make the model differential-algebraic (IDA);
/// - the species of the fast subsystem no longer change through reactions (they are boundary
///   species of the rewritten model), and the fast reactions' rates stay reportable.
///
/// Initial values: the declared values (or initial assignments) of all species of the fast
/// subsystem give the totals; the equilibrium then sets how they split, at the start and after
/// events. The species' declared initial values stay inputs (parameters named
/// `initial·<species>` hold them). Before the start, as `delay` sees them, the species have those
/// declared values: the equilibrium holds from the start on.
///
/// A species reference's stoichiometry set by an initial assignment or assignment rule of numbers
/// only (Level 2 `stoichiometryMath` such as `2 + 3`) is that constant.
///
/// Refused with a `CompileError`: fast reactions whose stoichiometry is variable or whose net
/// stoichiometries are linearly dependent, species of the fast subsystem with rules, conversion
/// factors.
///
/// An event assigning a species of the fast subsystem changes the totals it belongs to by the
/// change of its amount (`T_k := T_k + L_kj·(new − old)`, every value taken before the event);
/// the equilibrium then splits the new totals, as if the fast reactions relaxed at once.
enum FastReactions {
    struct Rewrite {
        var model: Model
        /// The fast reactions, whose equilibria are the last algebraic rules of `model`.
        var reactions: [String]
        /// The species those rules determine, one each.
        var determines: Set<String>
        /// Species whose initial value is now the parameter named here.
        var initialInputs: [String: String]
        /// The value of each species of the fast subsystem before the start (for `delay`): its
        /// declared value or initial assignment, as before the fast reactions equilibrate.
        var history: [String: Expr] = [:]
        /// The equilibrium rule of each fast reaction (its rate law), with each species' net
        /// stoichiometry in it: what the fast subsystem's relaxation moves.
        var equilibria: [(rule: Expr, stoichiometry: [String: Double])] = []
    }

    static func rewrite(_ model: Model) throws -> Rewrite {
        // A fast reaction whose rate law is zero whatever the values (a factor such as ln(1))
        // never changes anything: it stays an ordinary reaction of rate zero.
        let fast = model.reactions.filter { $0.fast && !identicallyZero($0.rate) }
        guard !fast.isEmpty else {
            var out = model
            for i in out.reactions.indices { out.reactions[i].fast = false }
            return Rewrite(model: out, reactions: [], determines: [], initialInputs: [:])
        }
        let speciesById = Dictionary(model.species.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var ruled = Set<String>()
        for r in model.rules { if let v = r.variable { ruled.insert(v) } }

        // The stoichiometry of each species reference of a fast reaction: its declared value, or
        // the value of the initial assignment or assignment rule that sets it when that is a
        // number expression; one that an event or a rate rule changes, or that depends on other
        // values, is refused.
        var fixed: [String: Double] = [:]
        for r in model.rules {
            if case .assignment(let v, let m) = r, let x = constantValue(m) { fixed[v] = x }
        }
        for ia in model.initialAssignments { if let x = constantValue(ia.math) { fixed[ia.variable] = x } }
        var eventAssigned = Set<String>()
        for e in model.events { for a in e.assignments { eventAssigned.insert(a.variable) } }
        var assignedInitially = Set(model.initialAssignments.map(\.variable))
        assignedInitially.formUnion(ruled)
        func stoichiometry(_ sr: SpeciesReference, of r: Reaction) throws -> Double {
            guard let id = sr.id else { return sr.stoichiometry }
            if !eventAssigned.contains(id) {
                if let x = fixed[id] { return x }
                if !assignedInitially.contains(id) { return sr.stoichiometry }
            }
            throw CompileError(element: r.id, "a fast reaction with a variable stoichiometry ('\(id)') is not supported")
        }

        // The species the fast reactions change, in the model's order.
        var touched = Set<String>()
        for r in fast {
            for sr in r.reactants + r.products {
                _ = try stoichiometry(sr, of: r)
                if let s = speciesById[sr.species], !s.boundaryCondition && !s.constant { touched.insert(s.id) }
            }
        }
        let affected = model.species.map(\.id).filter { touched.contains($0) }
        for id in affected {
            let s = speciesById[id]!
            if ruled.contains(id) {
                throw CompileError(element: id, "species '\(id)' takes part in a fast reaction and is set by a rule")
            }
            if s.conversionFactor ?? model.conversionFactor != nil {
                throw CompileError(element: id, "species '\(id)' takes part in a fast reaction and has a conversion factor")
            }
        }

        // Net stoichiometry of the fast reactions (rows: affected species; columns: reactions).
        let row = Dictionary(uniqueKeysWithValues: affected.enumerated().map { ($1, $0) })
        var s = [[Double]](repeating: [Double](repeating: 0, count: fast.count), count: affected.count)
        for (j, r) in fast.enumerated() {
            for sr in r.reactants { if let i = row[sr.species] { s[i][j] -= try stoichiometry(sr, of: r) } }
            for sr in r.products { if let i = row[sr.species] { s[i][j] += try stoichiometry(sr, of: r) } }
        }

        // Equilibrium species: rows of S_f that raise its rank (elimination in row order).
        var basis: [(pivot: Int, row: [Double])] = []
        var equilibrium: [Int] = []
        let scale = s.flatMap { $0 }.map(abs).max() ?? 0
        for i in affected.indices {
            var v = s[i]
            for b in basis {
                let f = v[b.pivot] / b.row[b.pivot]
                if f != 0 { for c in v.indices { v[c] -= f * b.row[c] } }
            }
            guard let p = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), abs(v[p]) > 1e-12 * scale else { continue }
            basis.append((p, v))
            equilibrium.append(i)
        }
        guard equilibrium.count == fast.count else {
            throw CompileError(
                element: fast.map(\.id).joined(separator: ", "),
                "the net stoichiometries of the fast reactions are linearly dependent: their equilibrium is not determined")
        }
        let r = fast.count
        let totals = affected.indices.filter { !equilibrium.contains($0) }

        // L_kd = −x with S_D^T x = S_I,k (S_D: the equilibrium rows).
        var weights: [[Double]] = []
        for k in totals {
            var a = [Double](repeating: 0, count: r * r)
            for (i, d) in equilibrium.enumerated() { for c in 0 ..< r { a[c * r + i] = s[d][c] } }
            var b = s[k]
            guard let x = CompiledModel.solveDense(&a, &b, r) else {
                throw CompileError(element: fast.map(\.id).joined(separator: ", "), "the fast reactions' stoichiometry is singular")
            }
            weights.append(x.map { abs($0) < 1e-14 ? 0 : -$0 })
        }

        var out = model
        var taken = Set(
            model.compartments.map(\.id) + model.species.map(\.id) + model.parameters.map(\.id) + model.reactions.map(\.id)
                + model.functions.map(\.id))
        func fresh(_ base: String) -> String {
            var id = base
            var n = 1
            while taken.contains(id) {
                n += 1
                id = "\(base)_\(n)"
            }
            taken.insert(id)
            return id
        }
        func amount(_ id: String, of value: Expr) -> Expr {
            let sp = speciesById[id]!
            return sp.hasOnlySubstanceUnits ? value : value * .symbol(sp.compartment)
        }

        // Initial amounts, from the declared values (kept as inputs) or initial assignments.
        var initialInputs: [String: String] = [:]
        var initialAmount: [String: Expr] = [:]
        var history: [String: Expr] = [:]
        for id in affected {
            let sp = speciesById[id]!
            if let ia = model.initialAssignments.first(where: { $0.variable == id }) {
                initialAmount[id] = amount(id, of: ia.math)
                history[id] = ia.math
                continue
            }
            guard let q = sp.initial else { throw CompileError(element: id, "species '\(id)' has no initial value") }
            let p = fresh("initial·\(id)")
            out.parameters.append(Parameter(id: p, value: q.value))
            initialInputs[id] = p
            switch (q, sp.hasOnlySubstanceUnits) {
            case (.amount, _): initialAmount[id] = .symbol(p)
            case (.concentration, _): initialAmount[id] = .symbol(p) * .symbol(sp.compartment)
            }
            history[id] = sp.hasOnlySubstanceUnits ? initialAmount[id]! : initialAmount[id]! / .symbol(sp.compartment)
        }
        out.initialAssignments.removeAll { touched.contains($0.variable) }

        // The slow rate of change of each affected species' amount.
        func slowRate(_ id: String) -> Expr? {
            var terms: [Expr] = []
            for reaction in model.reactions where !reaction.fast {
                var net: [Expr] = []
                for (refs, sign) in [(reaction.reactants, -1.0), (reaction.products, 1.0)] {
                    for sr in refs where sr.species == id {
                        let st: Expr = sr.id.map { .symbol($0) } ?? .number(sr.stoichiometry)
                        net.append(sign < 0 ? .apply(.neg, [st]) : st)
                    }
                }
                guard !net.isEmpty else { continue }
                let n: Expr = net.count == 1 ? net[0] : .apply(.add, net)
                terms.append(n * .symbol(reaction.id))
            }
            return terms.isEmpty ? nil : (terms.count == 1 ? terms[0] : .apply(.add, terms))
        }

        // Totals and the species that follow from them.
        var memberships: [String: [(total: String, weight: Double)]] = [:]
        for (k, i) in totals.enumerated() {
            let id = affected[i]
            let t = fresh("total·\(id)")
            var members: [(String, Double)] = [(id, 1)]
            for (c, d) in equilibrium.enumerated() where weights[k][c] != 0 { members.append((affected[d], weights[k][c])) }
            func weighted(_ f: (String) -> Expr?) -> Expr? {
                let parts = members.compactMap { m in f(m.0).map { m.1 == 1 ? $0 : .number(m.1) * $0 } }
                return parts.isEmpty ? nil : (parts.count == 1 ? parts[0] : .apply(.add, parts))
            }
            for (name, w) in members { memberships[name, default: []].append((t, w)) }
            out.parameters.append(Parameter(id: t, value: nil, constant: false))
            out.initialAssignments.append(InitialAssignment(variable: t, math: weighted { initialAmount[$0] }!))
            out.rules.append(.rate(variable: t, math: weighted(slowRate) ?? .number(0)))
            var rest: Expr = .symbol(t)
            for (name, w) in members.dropFirst() {
                rest = rest - .number(w) * amount(name, of: .symbol(name))
            }
            let sp = speciesById[id]!
            out.rules.append(.assignment(variable: id, math: sp.hasOnlySubstanceUnits ? rest : rest / .symbol(sp.compartment)))
        }

        // The equilibria: each fast rate law (local parameters by their compiled names).
        var equilibria: [(rule: Expr, stoichiometry: [String: Double])] = []
        for (j, reaction) in fast.enumerated() {
            var locals: [String: Expr] = [:]
            for lp in reaction.localParameters { locals[lp.id] = .symbol("\(reaction.id).\(lp.id)") }
            let rule = reaction.rate.substituting(locals)
            out.rules.append(.algebraic(math: rule))
            var net: [String: Double] = [:]
            for (i, id) in affected.enumerated() where s[i][j] != 0 { net[id] = s[i][j] }
            equilibria.append((rule, net))
        }
        // Event assignments to species of the fast subsystem move the totals.
        for e in out.events.indices {
            var changes: [String: [Expr]] = [:]
            var order: [String] = []
            var kept: [EventAssignment] = []
            for a in out.events[e].assignments {
                guard touched.contains(a.variable) else {
                    kept.append(a)
                    continue
                }
                let change = amount(a.variable, of: a.math) - amount(a.variable, of: .symbol(a.variable))
                for m in memberships[a.variable] ?? [] {
                    if changes[m.total] == nil { order.append(m.total) }
                    changes[m.total, default: [.symbol(m.total)]].append(m.weight == 1 ? change : .number(m.weight) * change)
                }
            }
            for t in order { kept.append(EventAssignment(variable: t, math: .apply(.add, changes[t]!))) }
            out.events[e].assignments = kept
        }
        for i in out.species.indices where touched.contains(out.species[i].id) { out.species[i].boundaryCondition = true }
        for i in out.reactions.indices { out.reactions[i].fast = false }
        return Rewrite(
            model: out, reactions: fast.map(\.id), determines: Set(equilibrium.map { affected[$0] }), initialInputs: initialInputs, history: history,
            equilibria: equilibria)
    }

    /// The value of an expression made of numbers and arithmetic only, nil for any other.
    static func constantValue(_ e: Expr) -> Double? {
        switch e {
        case .number(let v): return v
        case .apply(let op, let args):
            let v = args.compactMap(constantValue)
            guard v.count == args.count else { return nil }
            switch (op, v.count) {
            case (.neg, 1): return -v[0]
            case (.add, _): return v.reduce(0, +)
            case (.mul, _): return v.reduce(1, *)
            case (.sub, 2): return v[0] - v[1]
            case (.div, 2): return v[0] / v[1]
            case (.ln, 1): return Foundation.log(v[0])
            case (.log10, 1): return Foundation.log10(v[0])
            case (.log, 1): return Foundation.log(v[0])
            case (.log, 2): return Foundation.log(v[1]) / Foundation.log(v[0])
            case (.exp, 1): return Foundation.exp(v[0])
            case (.sin, 1): return Foundation.sin(v[0])
            case (.tan, 1): return Foundation.tan(v[0])
            case (.sqrt, 1): return v[0].squareRoot()
            case (.abs, 1): return Swift.abs(v[0])
            default: return nil
            }
        default: return nil
        }
    }

    /// Whether an expression is zero for every value of its symbols: a number expression of
    /// value zero, or a product or quotient with such a factor (numerator).
    static func identicallyZero(_ e: Expr) -> Bool {
        if let v = constantValue(e) { return v == 0 }
        switch e {
        case .apply(.mul, let args): return args.contains(where: identicallyZero)
        case .apply(.div, let args) where args.count == 2: return identicallyZero(args[0])
        case .apply(.neg, let args) where args.count == 1: return identicallyZero(args[0])
        default: return false
        }
    }
}
