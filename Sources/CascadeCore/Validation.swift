/// A problem with a model's structure, naming the element at fault.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case unknownId = "unknown id"
        case duplicateId = "duplicate id"
        case ruleCycle = "cycle among rules"
        case multipleDefinitions = "variable set twice"
        case assignsConstant = "assigns a constant"
        case badArity = "wrong number of arguments"
        case invalidValue = "invalid value"
        case unsupported = "unsupported"
    }
    public var kind: Kind
    /// The id of the element at fault (a reaction, rule variable, event...).
    public var element: String
    public var message: String

    public init(_ kind: Kind, element: String, _ message: String) {
        self.kind = kind
        self.element = element
        self.message = message
    }

    public var description: String { "\(element): \(message)" }
}

/// All problems found in one pass; thrown by `Model.validate()` when not empty.
public struct ModelErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ModelError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

extension Model {
    /// Checks the model's structure and throws `ModelErrors` listing every problem found:
    /// unknown or duplicate ids, cycles among assignment rules and initial assignments, a variable
    /// set by two rules, rules or events assigning constants, wrong argument counts, and values
    /// that cannot be (negative sizes or initial quantities, non-finite numbers).
    public func validate() throws {
        let errors = validationErrors()
        if !errors.isEmpty { throw ModelErrors(errors: errors) }
    }

    public func validationErrors() -> [ModelError] {
        var errors: [ModelError] = []
        func fail(_ k: ModelError.Kind, _ element: String, _ message: String) {
            errors.append(ModelError(k, element: element, message))
        }

        // Duplicate ids.
        var kinds: [String: ElementKind] = [:]
        for (id, kind) in allIds {
            if let previous = kinds[id] {
                fail(.duplicateId, id, "'\(id)' is declared twice (as \(previous.rawValue) and as \(kind.rawValue))")
            } else {
                kinds[id] = kind
            }
            if id.isEmpty { fail(.invalidValue, "(model)", "an element has an empty id") }
        }
        let functionsById = Dictionary(functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let valueKinds: Set<ElementKind> = [.compartment, .species, .parameter, .reaction, .speciesReference]

        // Expression checks: symbols, calls, arities.
        func check(_ e: Expr, in element: String, locals: Set<String> = []) {
            e.visit { node in
                switch node {
                case .symbol(let s):
                    if locals.contains(s) { return }
                    if let k = kinds[s] {
                        if !valueKinds.contains(k) && k != .observable {
                            fail(.unknownId, element, "'\(s)' is a \(k.rawValue), not a value")
                        }
                    } else {
                        fail(.unknownId, element, "unknown id '\(s)'")
                    }
                case .call(let f, let args):
                    if let fd = functionsById[f] {
                        if fd.arguments.count != args.count {
                            fail(
                                .badArity, element,
                                "function '\(f)' takes \(fd.arguments.count) argument\(fd.arguments.count == 1 ? "" : "s"), given \(args.count)")
                        }
                    } else {
                        fail(.unknownId, element, "unknown function '\(f)'")
                    }
                case .apply(let op, let args):
                    let (lo, hi) = op.arity
                    if args.count < lo || (hi != nil && args.count > hi!) {
                        fail(.badArity, element, "'\(op.rawValue)' given \(args.count) argument\(args.count == 1 ? "" : "s")")
                    }
                    if op == .rateOf, args.count == 1 {
                        if case .symbol = args[0] {
                        } else {
                            fail(.invalidValue, element, "rateOf takes a variable id")
                        }
                    }
                default: break
                }
            }
        }

        // Function definitions: bodies refer only to their arguments (and other functions); no recursion.
        for f in functions {
            let args = Set(f.arguments)
            if args.count != f.arguments.count { fail(.duplicateId, f.id, "function '\(f.id)' repeats an argument name") }
            for s in f.body.symbols where !args.contains(s) {
                fail(.unknownId, f.id, "function '\(f.id)' uses '\(s)', which is not one of its arguments")
            }
            check(f.body, in: f.id, locals: args)
        }
        if let cycle = findCycle(
            nodes: functions.map(\.id),
            edges: { id in
                Array(functionsById[id]?.body.calledFunctions ?? [])
            })
        {
            fail(.ruleCycle, cycle[0], "functions call each other in a cycle: \(cycle.joined(separator: " → "))")
        }

        // Compartments and species.
        for c in compartments {
            if let s = c.size, !(s.isFinite && s >= 0) {
                fail(.invalidValue, c.id, "compartment size \(s) must be finite and not negative")
            }
        }
        for s in species {
            if kinds[s.compartment] != .compartment {
                fail(.unknownId, s.id, "species '\(s.id)' is in unknown compartment '\(s.compartment)'")
            }
            if let q = s.initial, !(q.value.isFinite && q.value >= 0) {
                fail(.invalidValue, s.id, "species '\(s.id)' has initial value \(q.value); it must be finite and not negative")
            }
            if let cf = s.conversionFactor, kinds[cf] != .parameter {
                fail(.unknownId, s.id, "conversion factor '\(cf)' is not a parameter")
            }
        }
        if let cf = conversionFactor, kinds[cf] != .parameter {
            fail(.unknownId, id, "model conversion factor '\(cf)' is not a parameter")
        }

        // Reactions.
        for r in reactions {
            for sr in r.reactants + r.products {
                if kinds[sr.species] != .species {
                    fail(.unknownId, r.id, "reaction '\(r.id)' uses unknown species '\(sr.species)'")
                }
                if !sr.stoichiometry.isFinite { fail(.invalidValue, r.id, "reaction '\(r.id)' has a non-finite stoichiometry") }
            }
            for m in r.modifiers where kinds[m] != .species {
                fail(.unknownId, r.id, "reaction '\(r.id)' has unknown modifier '\(m)'")
            }
            let locals = Set(r.localParameters.map(\.id))
            if locals.count != r.localParameters.count {
                fail(.duplicateId, r.id, "reaction '\(r.id)' declares a local parameter twice")
            }
            check(r.rate, in: r.id, locals: locals)
        }

        // Rules: one definition per variable, targets exist and are not constant.
        var definedBy: [String: String] = [:]
        func define(_ variable: String, by what: String) {
            if let other = definedBy[variable] {
                let noun = what.hasPrefix("an ") ? what.dropFirst(3) : what.hasPrefix("a ") ? what.dropFirst(2) : Substring(what)
                let both = other == what ? "two \(noun)s" : "both \(other) and \(what)"
                fail(.multipleDefinitions, variable, "'\(variable)' is set by \(both)")
            } else {
                definedBy[variable] = what
            }
        }
        // Looked up by id (a linear search per rule made 10,000 rules take seconds); the first
        // element of each kind with the id, as a search would find.
        func firstConstant<T>(_ items: [T], _ id: (T) -> String?, _ c: (T) -> Bool) -> [String: Bool] {
            var out: [String: Bool] = [:]
            for x in items { if let i = id(x), out[i] == nil { out[i] = c(x) } }
            return out
        }
        let constantCompartment = firstConstant(compartments, \.id, \.constant)
        let constantSpecies = firstConstant(species, \.id, \.constant)
        let constantParameter = firstConstant(parameters, \.id, \.constant)
        let constantReference = firstConstant(reactions.flatMap { $0.reactants + $0.products }, \.id, \.constant)
        let speciesById = Dictionary(species.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let participants = Set(reactions.flatMap { ($0.reactants + $0.products).map(\.species) })
        func isConstant(_ id: String) -> Bool? {
            switch kinds[id] {
            case .compartment: return constantCompartment[id]
            case .species: return constantSpecies[id]
            case .parameter: return constantParameter[id]
            case .speciesReference: return constantReference[id]
            default: return nil
            }
        }
        var assignmentRuleDeps: [String: [String]] = [:]
        for rule in rules {
            check(rule.math, in: rule.variable ?? "algebraic rule")
            guard let v = rule.variable else { continue }
            guard let constant = isConstant(v) else {
                fail(.unknownId, v, "rule for unknown variable '\(v)'")
                continue
            }
            if constant { fail(.assignsConstant, v, "a rule sets '\(v)', which is declared constant") }
            switch rule {
            case .assignment(_, let m):
                define(v, by: "an assignment rule")
                assignmentRuleDeps[v] = Array(m.symbols)
            case .rate:
                define(v, by: "a rate rule")
                if let s = speciesById[v], !s.boundaryCondition, participants.contains(v) {
                    fail(.multipleDefinitions, v, "species '\(v)' has a rate rule and takes part in reactions without being a boundary species")
                }
            case .algebraic: break
            }
        }
        // An assignment-rule variable may not also be a reaction participant (non-boundary).
        for (v, by) in definedBy where by == "an assignment rule" {
            if let s = speciesById[v], !s.boundaryCondition, participants.contains(v) {
                fail(.multipleDefinitions, v, "species '\(v)' is set by an assignment rule and changed by reactions without being a boundary species")
            }
        }
        // Reactions' rates are values too: a rule using a reaction id depends on the reaction's rate law.
        var reactionDeps: [String: [String]] = [:]
        for r in reactions {
            let locals = Set(r.localParameters.map(\.id))
            reactionDeps[r.id] = Array(r.rate.symbols.subtracting(locals))
        }
        if let cycle = findCycle(
            nodes: Array(assignmentRuleDeps.keys).sorted(),
            edges: { id in
                (assignmentRuleDeps[id] ?? reactionDeps[id] ?? []).filter { assignmentRuleDeps[$0] != nil || reactionDeps[$0] != nil }
            })
        {
            fail(.ruleCycle, cycle[0], "assignment rules depend on each other in a cycle: \(cycle.joined(separator: " → "))")
        }

        // Initial assignments.
        var initialDeps: [String: [String]] = [:]
        for ia in initialAssignments {
            check(ia.math, in: ia.variable)
            if kinds[ia.variable] == nil || isConstant(ia.variable) == nil {
                fail(.unknownId, ia.variable, "initial assignment to unknown variable '\(ia.variable)'")
                continue
            }
            if initialDeps[ia.variable] != nil {
                fail(.multipleDefinitions, ia.variable, "'\(ia.variable)' has two initial assignments")
            }
            if definedBy[ia.variable] == "an assignment rule" {
                fail(.multipleDefinitions, ia.variable, "'\(ia.variable)' has both an initial assignment and an assignment rule")
            }
            initialDeps[ia.variable] = Array(ia.math.symbols)
        }
        let initialGraph: (String) -> [String] = { id in
            let deps = initialDeps[id] ?? assignmentRuleDeps[id] ?? reactionDeps[id] ?? []
            return deps.filter { initialDeps[$0] != nil || assignmentRuleDeps[$0] != nil || reactionDeps[$0] != nil }
        }
        if let cycle = findCycle(nodes: Array(initialDeps.keys).sorted(), edges: initialGraph) {
            fail(.ruleCycle, cycle[0], "initial assignments depend on each other in a cycle: \(cycle.joined(separator: " → "))")
        }

        // Events.
        for e in events {
            check(e.trigger, in: e.id)
            if let d = e.delay { check(d, in: e.id) }
            if let p = e.priority { check(p, in: e.id) }
            var seen = Set<String>()
            for a in e.assignments {
                check(a.math, in: e.id)
                if !seen.insert(a.variable).inserted {
                    fail(.multipleDefinitions, e.id, "event '\(e.id)' assigns '\(a.variable)' twice")
                }
                guard let constant = isConstant(a.variable) else {
                    fail(.unknownId, e.id, "event '\(e.id)' assigns unknown variable '\(a.variable)'")
                    continue
                }
                if constant { fail(.assignsConstant, e.id, "event '\(e.id)' assigns '\(a.variable)', which is declared constant") }
                if definedBy[a.variable] == "an assignment rule" {
                    fail(.multipleDefinitions, e.id, "event '\(e.id)' assigns '\(a.variable)', which an assignment rule defines")
                }
            }
        }
        for o in observables { check(o.math, in: o.id) }
        return errors
    }
}

/// Finds a cycle in a directed graph, returned as a path whose first element repeats at its end.
func findCycle(nodes: [String], edges: (String) -> [String]) -> [String]? {
    var done = Set<String>()
    for n in nodes where !done.contains(n) {
        let walk = dependencyOrder(from: n, edges: { edges($0).sorted() }, skipping: done)
        if let cycle = walk.cycle { return cycle }
        done.formUnion(walk.order)
    }
    return nil
}

/// The nodes reachable from `root` in depth-first post-order (each node after everything it
/// points to), or the first cycle met, as a path whose first element repeats at its end. Nodes in
/// `skipping` are treated as already visited.
///
/// Iterative, with an explicit stack: a chain of 10,000 assignment rules (`v0 := v1`,
/// `v1 := v2`, ...) overflowed the call stack when this walked recursively.
public func dependencyOrder(
    from root: String, edges: (String) -> [String],
    skipping: Set<String> = []
) -> (order: [String], cycle: [String]?) {
    var order: [String] = []
    var onPath: [String: Int] = [:]  // node → index in `path`
    var finished = skipping
    var path: [(node: String, next: [String], i: Int)] = [(root, edges(root), 0)]
    onPath[root] = 0
    while !path.isEmpty {
        let top = path.count - 1
        if path[top].i < path[top].next.count {
            let m = path[top].next[path[top].i]
            path[top].i += 1
            if let start = onPath[m] { return (order, path[start...].map(\.node) + [m]) }
            if finished.contains(m) { continue }
            onPath[m] = path.count
            path.append((m, edges(m), 0))
        } else {
            let n = path.removeLast().node
            onPath[n] = nil
            finished.insert(n)
            order.append(n)
        }
    }
    return (order, nil)
}
