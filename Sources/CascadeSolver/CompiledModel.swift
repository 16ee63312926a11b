import CascadeCore
import Foundation

/// What to report for an id.
public struct OutputColumn: Hashable, Sendable {
    public enum Quantity: Hashable, Sendable {
        /// The id's value: species as concentration, unless it has only substance units.
        case value
        /// A species' amount.
        case amount
        /// A species' concentration (amount / compartment size).
        case concentration
    }
    public var id: String
    public var quantity: Quantity
    public init(_ id: String, _ quantity: Quantity = .value) {
        self.id = id
        self.quantity = quantity
    }
}

/// A conservation law: a weighted sum of species amounts that no reaction changes.
public struct ConservationLaw: Hashable, Sendable, CustomStringConvertible {
    public var terms: [(species: String, coefficient: Int)]
    public var description: String {
        var out = ""
        for (i, t) in terms.enumerated() {
            let c = abs(t.coefficient)
            let term = c == 1 ? t.species : "\(c)*\(t.species)"
            if i == 0 { out = t.coefficient < 0 ? "-" + term : term } else { out += (t.coefficient < 0 ? " - " : " + ") + term }
        }
        return out
    }
    public static func == (a: Self, b: Self) -> Bool {
        a.terms.map(\.species) == b.terms.map(\.species) && a.terms.map(\.coefficient) == b.terms.map(\.coefficient)
    }
    public func hash(into h: inout Hasher) {
        for t in terms { h.combine(t.species); h.combine(t.coefficient) }
    }
}

/// A model compiled once into flat tapes: right-hand side, analytic Jacobian (with its sparsity
/// pattern), initial values, event conditions and assignments, and outputs. Immutable and safe to
/// share between threads; each `Simulator` keeps its own registers.
///
///     let compiled = try CompiledModel(model)
///     let sim = try Simulator(compiled)
///     let traj = try sim.simulate(times: [0, 1, 2], outputs: [OutputColumn("A")])
public final class CompiledModel: Sendable {
    public let model: Model
    /// Ids of the integrated variables, in order.
    public let stateIds: [String]
    let stateKinds: [StateKind]
    /// For each state, whether an algebraic rule determines it (its right-hand side is then the
    /// rule's residual, which the integrator keeps at zero); empty for an ODE model.
    public let algebraicStates: [Bool]
    /// Whether the model is differential-algebraic (integrated by IDA instead of CVODE).
    public var isDifferentialAlgebraic: Bool { !algebraicStates.isEmpty }
    /// When every algebraic state is a species of a fast-reaction equilibrium: the matrix
    /// (row-major, over the algebraic states in order) giving the fast subsystem's rate of change
    /// as `M · residuals` (each residual a fast reaction's rate; `M` the species' net
    /// stoichiometries in those reactions). Empty otherwise. The solver relaxes along it to start
    /// from the equilibrium the fast reactions reach, not any root of their rates.
    let fastRelaxation: [Double]
    /// Ids of the values that stay fixed between events (parameters, sizes, fixed species amounts,
    /// local parameters as `reaction.local`).
    public let parameterIds: [String]
    /// Ids whose declared values may be overridden per simulation, and those declared values.
    public let inputIds: [String]
    public let nominalInputs: [Double]
    let inputIndex: [String: Int]

    let layout: InputLayout
    let rhsTape: Tape
    let jacobianTape: Tape
    /// Column pointers and row indices of the Jacobian's structural non-zeros (CSC).
    public let jacobianColumnPointers: [Int32]
    public let jacobianRowIndices: [Int32]
    let initTape: Tape

    // Events and discontinuities.
    let atomOps: [GOp]
    /// Atoms located by CVODE's root finding (indices into atoms).
    let rootAtoms: [Int]
    /// Atoms that are conditions inside the right-hand side: crossing one means a restart.
    let discontinuityAtoms: Set<Int>
    /// Atoms whose truth is a branch flag of the locked right-hand side (flag k is atom
    /// `lockedAtoms[k]`); empty when nothing is locked.
    let lockedAtoms: [Int]
    /// The right-hand side and Jacobian with those branches read from the flags (nil: none).
    let lockedRhsTape: Tape?
    let lockedJacobianTape: Tape?
    /// Atoms linear in time, independent of the state: crossing times are computed and hit exactly.
    let timeAtoms: [Int]
    let rootTape: Tape
    /// Outputs: all atom values, then time-atom slopes, then event delays, priorities,
    /// assignment values and scales (offsets in `CompiledEvent`).
    let discreteTape: Tape
    let events: [CompiledEvent]

    // Outputs.
    let outputIndex: [OutputColumn: Int]
    let outputTape: Tape

    // Delays (`delay(x, d)`), filled into parameter registers before each evaluation.
    /// The parameter index holding each delay's value.
    let delayRegisters: [Int]
    /// Outputs: every delay's `d`, then every delay's `x` (evaluated at the delayed time).
    let delayTape: Tape?
    /// Outputs: every delay's `x` before the start, a function of time and the inputs.
    let delayHistoryTape: Tape?
    /// For each delay, the delays its `x` or `d` reads (a delay of a rule that is a delay).
    let delayDependencies: [[Int]]

    /// The graph everything above was compiled from, kept for derivatives taken later
    /// (sensitivities, see `SensitivityModel`).
    let symbolic: SymbolicForm

    /// Conservation laws among the species changed by reactions.
    public let conservationLaws: [ConservationLaw]
    /// Non-fatal observations (unused parameters, unusual constructs).
    public let warnings: [String]

    public var stateCount: Int { stateIds.count }
    public var jacobianNonZeros: Int { jacobianRowIndices.count }

    /// Compiles a model. Throws `ModelErrors` for an invalid model and `CompileError` for one
    /// the integrator cannot handle (algebraic rules with no variable to determine, missing
    /// values). Algebraic rules are paired with their variables first (see `AlgebraicRules`):
    /// `model` is then the model with the affine ones as assignment rules; the others make the
    /// model differential-algebraic (`algebraicStates`).
    /// See `fastRelaxation`.
    static func relaxation(
        states: [String], algebraic: [Bool], residuals: [AlgebraicRules.Residual], equilibria: [(rule: Expr, stoichiometry: [String: Double])]
    ) -> [Double] {
        guard !equilibria.isEmpty else { return [] }
        let ids = states.indices.filter { algebraic[$0] }.map { states[$0] }
        let rule = Dictionary(residuals.map { ($0.variable, $0.math) }, uniquingKeysWith: { a, _ in a })
        var reaction: [Int] = []
        for id in ids {
            guard let math = rule[id], let j = equilibria.firstIndex(where: { $0.rule == math }), equilibria[j].stoichiometry[id] != nil else { return [] }
            reaction.append(j)
        }
        let m = ids.count
        var out = [Double](repeating: 0, count: m * m)
        for a in 0 ..< m { for b in 0 ..< m { out[a * m + b] = equilibria[reaction[b]].stoichiometry[ids[a]] ?? 0 } }
        return out
    }

    public init(_ model: Model) throws {
        try model.validate()
        let fast = try FastReactions.rewrite(model)
        let (model, residuals) = try AlgebraicRules.solve(fast.model, fastReactions: fast.reactions, fastSpecies: fast.determines)
        self.model = model
        let L = try Lowerer(model, algebraic: residuals, history: fast.history)
        stateIds = L.stateIds
        stateKinds = L.stateKinds
        algebraicStates = L.stateIsAlgebraic.contains(true) ? L.stateIsAlgebraic : []
        fastRelaxation = Self.relaxation(states: L.stateIds, algebraic: L.stateIsAlgebraic, residuals: residuals, equilibria: fast.equilibria)
        parameterIds = L.paramIds
        inputIds = L.nominalIds
        nominalInputs = L.nominalValues
        // A species of a fast-reaction equilibrium keeps its initial value as an input.
        var inputs = L.nominalIndex
        for (species, parameter) in fast.initialInputs { inputs[species] = inputs[parameter] }
        inputIndex = inputs
        var layout = InputLayout(params: L.paramIds.count, states: L.stateIds.count, nominals: L.nominalIds.count)
        layout.varyingParams = (L.paramIds.count - L.delays.count) ..< L.paramIds.count
        let n = L.stateIds.count

        // Right-hand side.
        var rhs: [NodeID] = []
        for k in 0 ..< n { rhs.append(try L.rhs(k)) }

        // Initial values: states then parameters.
        var initOut: [NodeID] = []
        for (k, id) in L.stateIds.enumerated() {
            let v = try L.value(id, .initial, context: id)
            if case .speciesAmount = L.stateKinds[k] {
                initOut.append(try L.amount(ofSpecies: id, value: v, .initial))
            } else {
                initOut.append(v)
            }
        }
        let firstDelay = L.paramIds.count - L.delays.count
        for (j, id) in L.paramIds.enumerated() {
            if j >= firstDelay {
                initOut.append(try L.delayInitial(j - firstDelay, context: "delay"))
                continue
            }
            if let dot = id.firstIndex(of: "."), L.reactions[String(id[..<dot])] != nil {
                initOut.append(L.g.nominal(L.nominalIndex[id]!))
                continue
            }
            let v = try L.value(id, .initial, context: id)
            initOut.append(L.species[id] != nil ? try L.amount(ofSpecies: id, value: v, .initial) : v)
        }

        // Discontinuities inside the right-hand side become atoms, so the integrator stops there.
        var reach = [Bool](repeating: false, count: L.g.count)
        var stack = rhs
        while let x = stack.popLast() {
            if reach[Int(x)] { continue }
            reach[Int(x)] = true
            stack.append(contentsOf: L.g[x].args)
        }
        var discontinuities = Set<Int>()
        for i in 0 ..< reach.count where reach[i] {
            let node = L.g[NodeID(i)]
            if node.op.isRelational {
                discontinuities.insert(L.atom(L.g.sub(node.a, node.b), node.op))
            }
        }
        // Locked branches: each comparison on the state inside the right-hand side, and the
        // branch of each max, min and abs on the state there, is an atom (a root function) and,
        // in the right-hand side and Jacobian CVODE evaluates, a branch flag held constant
        // between stops and set from the atoms' truth at each stop (start, crossings, events).
        // A step across a threshold then sees a smooth right-hand side, the branch it started
        // on, until the root finder stops at the crossing. Not for delays or algebraic rules.
        var locked: [Int] = []
        var lockedRhs: [NodeID] = []
        if L.delays.isEmpty && !L.stateIsAlgebraic.contains(true) {
            let count = L.g.count
            var onState = [Bool](repeating: false, count: count)
            for i in 0 ..< count {
                let node = L.g[NodeID(i)]
                if node.op == .state { onState[i] = true; continue }
                if node.op.isLeaf { continue }
                onState[i] = node.args.contains { onState[Int($0)] }
            }
            var flagOf: [Int: Int] = [:]
            func flag(_ atom: Int) -> NodeID {
                discontinuities.insert(atom)
                if let f = flagOf[atom] { return L.g.flag(f) }
                flagOf[atom] = locked.count
                locked.append(atom)
                return L.g.flag(locked.count - 1)
            }
            var map = (0 ..< count).map { NodeID($0) }
            for i in 0 ..< reach.count where reach[i] {
                let node = L.g[NodeID(i)]
                if node.op.isLeaf { continue }
                let a = map[Int(node.a)]
                let b = node.b >= 0 ? map[Int(node.b)] : -1
                let c = node.c >= 0 ? map[Int(node.c)] : -1
                guard onState[i] else { map[i] = L.g.make(node.op, a, b, c); continue }
                switch node.op {
                case .lt, .le, .gt, .ge:
                    map[i] = flag(L.atom(L.g.sub(node.a, node.b), node.op))
                case .max:
                    map[i] = L.g.make(.select, flag(L.atom(L.g.sub(node.a, node.b), .gt)), a, b)
                case .min:
                    map[i] = L.g.make(.select, flag(L.atom(L.g.sub(node.a, node.b), .lt)), a, b)
                case .abs:
                    map[i] = L.g.make(.select, flag(L.atom(node.a, .gt)), a, L.g.neg(a))
                default:
                    map[i] = L.g.make(node.op, a, b, c)
                }
            }
            if !locked.isEmpty { lockedRhs = rhs.map { map[Int($0)] } }
        }
        discontinuityAtoms = discontinuities
        lockedAtoms = locked
        layout.flags = locked.count
        self.layout = layout

        // Events.
        var compiledEvents: [CompiledEvent] = []
        var delays: [NodeID] = [], priorities: [NodeID] = [], values: [NodeID] = [], scales: [NodeID] = []
        for e in model.events {
            let trigger = try L.condition(e.trigger, context: e.id)
            var ce = CompiledEvent(
                id: e.id, trigger: trigger, initialValue: e.triggerInitialValue,
                persistent: e.persistent, fromTrigger: e.useValuesFromTriggerTime)
            if let d = e.delay { ce.delay = delays.count; delays.append(try L.lower(d, .dynamic, context: e.id)) }
            if let p = e.priority { ce.priority = priorities.count; priorities.append(try L.lower(p, .dynamic, context: e.id)) }
            for a in e.assignments {
                let v = try L.lower(a.math, .dynamic, context: e.id)
                var scale = L.g.one
                let target: CompiledEvent.Target
                if let k = L.stateIndex[a.variable] {
                    target = .state(k)
                    if case .speciesAmount = L.stateKinds[k], let s = L.species[a.variable], !s.hasOnlySubstanceUnits {
                        scale = try L.value(s.compartment, .dynamic, context: e.id)
                    }
                } else if let j = L.paramIndex[a.variable] {
                    target = .param(j)
                    if let s = L.species[a.variable], !s.hasOnlySubstanceUnits {
                        scale = try L.value(s.compartment, .dynamic, context: e.id)
                    }
                } else {
                    throw CompileError(element: e.id, "event assigns '\(a.variable)', which is not a variable")
                }
                // Species whose state is a concentration keep their amount when their
                // compartment's size jumps: their concentrations are rescaled.
                var rescale: [Int] = []
                if L.compartments[a.variable] != nil {
                    for (k, kind) in L.stateKinds.enumerated() {
                        if case .speciesConcentration(let c) = kind, c == a.variable {
                            rescale.append(k)
                        }
                    }
                }
                ce.assignments.append(.init(target: target, value: values.count, rescale: rescale))
                values.append(v)
                scales.append(scale)
            }
            compiledEvents.append(ce)
        }

        // Classify atoms: linear in time and state-independent → exact stop times; else roots.
        var dependsOnState = [Bool](repeating: false, count: L.g.count)
        for i in 0 ..< L.g.count {
            let node = L.g[NodeID(i)]
            if node.op == .state || node.op == .delayed { dependsOnState[i] = true; continue }
            if node.op.isLeaf { continue }
            dependsOnState[i] = node.args.contains { dependsOnState[Int($0)] }
        }
        var rootAtoms: [Int] = [], timeAtoms: [Int] = [], slopes: [NodeID] = []
        for (i, a) in L.atomNodes.enumerated() {
            if dependsOnState[Int(a)] { rootAtoms.append(i); continue }
            let slope = L.g.derivatives(of: [a], wrt: L.g.timeNode)[0]
            if slope == L.g.zero { timeAtoms.append(i); slopes.append(slope); continue }  // constant between events
            let curvature = L.g.derivatives(of: [slope], wrt: L.g.timeNode)[0]
            let slopeDependsOnState = Int(slope) < dependsOnState.count ? dependsOnState[Int(slope)] : true
            if curvature == L.g.zero && !slopeDependsOnState {
                timeAtoms.append(i)
                slopes.append(slope)
            } else {
                rootAtoms.append(i)
            }
        }
        self.atomOps = L.atomOps
        self.rootAtoms = rootAtoms
        self.timeAtoms = timeAtoms

        // Outputs: every id's value, every species' amount and concentration.
        var outIndex: [OutputColumn: Int] = [:]
        var outNodes: [NodeID] = []
        func addOutput(_ col: OutputColumn, _ node: NodeID) {
            outIndex[col] = outNodes.count
            outNodes.append(node)
        }
        var valueIds: [String] = model.compartments.map(\.id) + model.species.map(\.id) + model.parameters.map(\.id)
        valueIds += model.reactions.map(\.id)
        valueIds += model.reactions.flatMap { ($0.reactants + $0.products).compactMap(\.id) }
        valueIds += model.observables.map(\.id)
        for id in valueIds { addOutput(OutputColumn(id), try L.value(id, .dynamic, context: id)) }
        for s in model.species {
            let v = try L.value(s.id, .dynamic, context: s.id)
            let vol = try L.value(s.compartment, .dynamic, context: s.id)
            let amount = s.hasOnlySubstanceUnits ? v : L.g.mul(v, vol)
            addOutput(OutputColumn(s.id, .amount), amount)
            addOutput(OutputColumn(s.id, .concentration), s.hasOnlySubstanceUnits ? L.g.div(v, vol) : v)
        }
        for r in model.reactions {
            for lp in r.localParameters {
                let key = L.localKey(r.id, lp.id)
                addOutput(OutputColumn(key), L.g.param(L.paramIndex[key]!))
            }
        }

        // Jacobian, column by column (CSC).
        var colPtr: [Int32] = [0], rowIdx: [Int32] = [], jacNodes: [NodeID] = []
        for j in 0 ..< n {
            let d = L.g.derivatives(of: rhs, wrt: L.g.state(j))
            for i in 0 ..< n where d[i] != L.g.zero {
                rowIdx.append(Int32(i))
                jacNodes.append(d[i])
            }
            colPtr.append(Int32(rowIdx.count))
        }
        jacobianColumnPointers = colPtr
        jacobianRowIndices = rowIdx
        // The locked Jacobian, on the same sparsity pattern (locking removes dependencies only).
        var lockedJac: [NodeID] = []
        if !lockedRhs.isEmpty {
            for j in 0 ..< n {
                let d = L.g.derivatives(of: lockedRhs, wrt: L.g.state(j))
                let rows = Set(rowIdx[Int(colPtr[j]) ..< Int(colPtr[j + 1])])
                for i in 0 ..< n where rows.contains(Int32(i)) { lockedJac.append(d[i]) }
            }
        }

        // Tapes.
        rhsTape = Tape(graph: L.g, outputs: rhs, layout: layout)
        jacobianTape = Tape(graph: L.g, outputs: jacNodes, layout: layout)
        lockedRhsTape = lockedRhs.isEmpty ? nil : Tape(graph: L.g, outputs: lockedRhs, layout: layout)
        lockedJacobianTape = lockedRhs.isEmpty ? nil : Tape(graph: L.g, outputs: lockedJac, layout: layout)
        initTape = Tape(graph: L.g, outputs: initOut, layout: layout)
        rootTape = Tape(graph: L.g, outputs: rootAtoms.map { L.atomNodes[$0] }, layout: layout)
        var discrete = L.atomNodes + slopes
        let delayBase = discrete.count
        discrete += delays
        let priorityBase = discrete.count
        discrete += priorities
        let valueBase = discrete.count
        discrete += values
        let scaleBase = discrete.count
        discrete += scales
        discreteTape = Tape(graph: L.g, outputs: discrete, layout: layout)
        events = compiledEvents.map { e in
            var e = e
            e.delay = e.delay.map { $0 + delayBase }
            e.priority = e.priority.map { $0 + priorityBase }
            e.assignments = e.assignments.map {
                .init(target: $0.target, value: $0.value + valueBase, scale: $0.value + scaleBase, rescale: $0.rescale)
            }
            return e
        }
        outputIndex = outIndex
        outputTape = Tape(graph: L.g, outputs: outNodes, layout: layout)
        delayRegisters = Array(firstDelay ..< L.paramIds.count)
        if L.delays.isEmpty {
            delayTape = nil
            delayHistoryTape = nil
            delayDependencies = []
        } else {
            var delayOut: [NodeID] = []
            for (k, delay) in L.delays.enumerated() {
                delayOut.append(try L.lower(delay.d, .dynamic, env: L.delayEnvironment(k, .dynamic), context: "delay"))
            }
            for (k, delay) in L.delays.enumerated() {
                delayOut.append(try L.lower(delay.x, .dynamic, env: L.delayEnvironment(k, .dynamic), context: "delay"))
            }
            delayHistoryTape = Tape(
                graph: L.g, outputs: try L.delays.indices.map { try L.delayHistory($0, context: "delay") },
                layout: layout)
            var dependencies: [[Int]] = []
            for k in L.delays.indices {
                var inner = Set<Int>(), seen = Set<NodeID>(), stack = [delayOut[k], delayOut[L.delays.count + k]]
                while let v = stack.popLast() {
                    guard seen.insert(v).inserted else { continue }
                    if L.g[v].op == .delayed { inner.insert(Int(L.g[v].a) - firstDelay) }
                    stack.append(contentsOf: L.g[v].args)
                }
                if inner.contains(k) {
                    throw CompileError(element: "delay", "delay(\(L.delays[k].x), \(L.delays[k].d)) depends on its own delayed value")
                }
                dependencies.append(inner.sorted())
            }
            delayDependencies = dependencies
            delayTape = Tape(graph: L.g, outputs: delayOut, layout: layout)
        }
        symbolic = SymbolicForm(
            graph: L.g, rhs: rhs, lockedRhs: lockedRhs, initial: initOut, atoms: L.atomNodes, outputs: outNodes,
            eventValues: values, eventScales: scales, eventValueBase: valueBase)

        conservationLaws = ConservationAnalysis.laws(
            model: model, stateIds: L.stateIds, stateKinds: L.stateKinds,
            rateRules: L.rateRules)
        var warnings: [String] = []
        let used = Set(
            model.reactions.flatMap { $0.rate.symbols } + model.rules.flatMap { $0.math.symbols }
                + model.events.flatMap { e in e.trigger.symbols.union(e.assignments.flatMap { $0.math.symbols }) }
                + model.initialAssignments.flatMap { $0.math.symbols } + model.observables.flatMap { $0.math.symbols })
        for p in model.parameters where !used.contains(p.id) {
            warnings.append("parameter '\(p.id)' is not used")
        }
        for s in model.species
        where !L.stateIds.contains(s.id) && !s.boundaryCondition && !s.constant
            && L.assignmentRules[s.id] == nil && !used.contains(s.id)
        {
            warnings.append("species '\(s.id)' takes part in no reaction or rule")
        }
        self.warnings = warnings
    }

    /// The index of an output column, or nil when the id is unknown.
    public func hasOutput(_ column: OutputColumn) -> Bool { outputIndex[column] != nil }

    /// Ids that can be reported (species, compartments, parameters, reactions, observables...).
    public var reportableIds: [String] {
        outputIndex.keys.filter { $0.quantity == .value }.map(\.id).sorted()
    }

    /// Index of an overridable input, or nil.
    public func inputPosition(_ id: String) -> Int? { inputIndex[id] }
}

struct CompiledEvent: Sendable {
    enum Target: Sendable {
        case state(Int)
        case param(Int)
    }
    struct Assignment: Sendable {
        var target: Target
        var value: Int
        var scale: Int = -1
        /// Concentration states to rescale by old/new size when this compartment is assigned.
        var rescale: [Int] = []
    }
    var id: String
    var trigger: BoolTree
    var initialValue: Bool
    var persistent: Bool
    var fromTrigger: Bool
    var delay: Int?
    var priority: Int?
    var assignments: [Assignment] = []
}
