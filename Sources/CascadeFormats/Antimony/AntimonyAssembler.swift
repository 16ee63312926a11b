import CascadeCore

/// Collects the statements of one Antimony model and, once the whole file has been read, decides
/// what each name is and builds the `Model`.
///
/// Antimony is declarative and order-independent: a name may be used before it is declared, a
/// name in a reaction is a species, a name after `in` is a compartment, and any other name given
/// a value is a parameter. The assembler records every mention with its place in the text, so
/// each problem — its own or one found by `Model.validate()` — can be reported where it is.
final class AntimonyAssembler {
    enum Kind: String {
        case species, compartment, parameter, reaction, event, function

        /// Species, compartments and parameters have values that rules and events can change.
        var isVariable: Bool {
            switch self {
            case .species, .compartment, .parameter: return true
            default: return false
            }
        }

        var withArticle: String {
            switch self {
            case .event: return "an event"
            default: return "a \(rawValue)"
            }
        }
    }

    /// A species in a reaction, as written.
    struct Participant {
        var species: String
        var stoichiometry: Double
        var boundary: Bool
        var span: AntimonySpan
    }

    struct ReactionDraft {
        var name: (String, AntimonySpan)?
        var span: AntimonySpan
        var reactants: [Participant]
        var products: [Participant]
        var reversible: Bool
        var rate: Expr?
        var rateSpan: AntimonySpan?
        var compartment: (String, AntimonySpan)?
        var uses: [AntimonyUse]
        var sequence = 0
        var id = ""
    }

    struct EventDraft {
        var name: (String, AntimonySpan)?
        var span: AntimonySpan
        var trigger: Expr
        var delay: Expr?
        var priority: Expr?
        var triggerInitialValue = true
        var persistent = true
        var useValuesFromTriggerTime = true
        var assignments: [(String, Expr, AntimonySpan)] = []
        var uses: [AntimonyUse] = []
        var id = ""

        init(name: (String, AntimonySpan)?, span: AntimonySpan, trigger: Expr, delay: Expr?) {
            self.name = name
            self.span = span
            self.trigger = trigger
            self.delay = delay
        }
    }

    private struct FunctionDraft {
        var id: String
        var span: AntimonySpan
        var arguments: [String]
        var body: Expr
        var uses: [AntimonyUse]
    }

    private struct RuleDraft {
        var variable: String
        var math: Expr
        var isRate: Bool
        var span: AntimonySpan
        var uses: [AntimonyUse]
    }

    /// What `x = ...` gave a name: a plain number or an expression (an initial assignment).
    private enum Value {
        case number(Double, valueSpan: AntimonySpan, sequence: Int)
        case expression(Expr, nameSpan: AntimonySpan, valueSpan: AntimonySpan, sequence: Int, uses: [AntimonyUse])

        var sequence: Int {
            switch self {
            case .number(_, _, let s), .expression(_, _, _, let s, _): return s
            }
        }
    }

    /// Everything the text says about one name.
    private final class Symbol {
        let id: String
        /// Position among declaring mentions; fixes the element order in the model.
        var order = Int.max
        /// The first declaring mention.
        var declared: AntimonySpan?
        /// The first use inside an expression.
        var firstUse: AntimonySpan?
        var kind: Kind?
        var kindSpan: AntimonySpan?
        var compartment: String?
        var inSpan: AntimonySpan?
        /// `const` (or `$`) is true, `var` is false; the last one written wins.
        var constModifier: Bool?
        var constSpan: AntimonySpan?
        var substanceOnly = false
        var value: Value?
        var units: String?
        var unitsSpan: AntimonySpan?
        var displayName: String?
        var assignmentRules = 0
        var rateRules = 0
        var eventTarget: AntimonySpan?

        init(id: String) { self.id = id }
    }

    private var symbols: [String: Symbol] = [:]
    private var nextOrder = 0
    private var nextSequence = 0
    private var modelId = "__main"
    private var modelSpan: AntimonySpan?
    private var reactions: [ReactionDraft] = []
    private var events: [EventDraft] = []
    private var functions: [FunctionDraft] = []
    private var rules: [RuleDraft] = []
    private var units: [(UnitDefinition, AntimonySpan)] = []
    private var diagnostics: [AntimonyDiagnostic] = []

    init() {}

    private func error(_ message: String, at span: AntimonySpan) {
        diagnostics.append(AntimonyDiagnostic(span: span, message: message))
    }

    // MARK: - Recording statements

    private func symbol(_ id: String) -> Symbol {
        if let s = symbols[id] { return s }
        let s = Symbol(id: id)
        if id == "default_compartment" {
            // As in Antimony, the default compartment is a compartment whenever it is named.
            s.kind = .compartment
        }
        symbols[id] = s
        return s
    }

    /// A mention that declares the name (as opposed to a use inside an expression).
    func mention(_ id: String, span: AntimonySpan) {
        let s = symbol(id)
        if s.order == Int.max {
            s.order = nextOrder
            nextOrder += 1
            s.declared = span
        }
    }

    private func use(_ uses: [AntimonyUse]) {
        for u in uses where !u.isCall {
            let s = symbol(u.id)
            if s.firstUse == nil { s.firstUse = u.span }
        }
    }

    @discardableResult
    private func setKind(_ s: Symbol, _ kind: Kind, at span: AntimonySpan) -> Bool {
        if let existing = s.kind {
            if existing == kind { return true }
            let where_ = s.kindSpan.map { " (line \($0.line))" } ?? ""
            error("'\(s.id)' is already \(existing.withArticle)\(where_) and cannot also be \(kind.withArticle)", at: span)
            return false
        }
        s.kind = kind
        s.kindSpan = span
        return true
    }

    func setModel(id: String, span: AntimonySpan) {
        modelId = id
        modelSpan = span
    }

    func declare(
        _ id: String, span: AntimonySpan, kind: Kind?, kindSpan: AntimonySpan, constant: Bool?,
        substanceOnly: Bool, boundary: Bool
    ) {
        mention(id, span: span)
        let s = symbol(id)
        if let kind { setKind(s, kind, at: span) }
        if boundary { setKind(s, .species, at: span) }
        if let constant {
            s.constModifier = constant
            s.constSpan = span
        }
        if boundary {
            s.constModifier = true
            s.constSpan = span
        }
        if substanceOnly { s.substanceOnly = true }
    }

    func place(_ id: String, in compartment: String, span: AntimonySpan, compartmentSpan: AntimonySpan, inSpan: AntimonySpan) {
        mention(id, span: span)
        mention(compartment, span: compartmentSpan)
        let s = symbol(id)
        s.compartment = compartment
        s.inSpan = inSpan
        setKind(symbol(compartment), .compartment, at: compartmentSpan)
    }

    func assignValue(
        _ id: String, value: Expr, span: AntimonySpan, valueSpan: AntimonySpan, unit: String?,
        uses: [AntimonyUse]
    ) {
        mention(id, span: span)
        let s = symbol(id)
        let sequence = nextSequence
        nextSequence += 1
        if let n = value.numericValue {
            s.value = .number(n, valueSpan: valueSpan, sequence: sequence)
        } else {
            s.value = .expression(value, nameSpan: span, valueSpan: valueSpan, sequence: sequence, uses: uses)
        }
        if let unit {
            s.units = unit
            s.unitsSpan = valueSpan
        }
        use(uses)
    }

    func addRule(variable: String, math: Expr, isRate: Bool, span: AntimonySpan, uses: [AntimonyUse]) {
        mention(variable, span: span)
        let s = symbol(variable)
        if isRate { s.rateRules += 1 } else { s.assignmentRules += 1 }
        rules.append(RuleDraft(variable: variable, math: math, isRate: isRate, span: span, uses: uses))
        use(uses)
    }

    func setUnits(_ id: String, _ unit: String, span: AntimonySpan) {
        mention(id, span: span)
        let s = symbol(id)
        s.units = unit
        s.unitsSpan = span
    }

    func setDisplayName(_ id: String, _ name: String, span: AntimonySpan) {
        if id == modelId && symbols[id] == nil {
            modelName = name
            return
        }
        mention(id, span: span)
        symbol(id).displayName = name
    }

    private var modelName: String?

    func addReaction(_ draft: ReactionDraft) {
        var draft = draft
        draft.sequence = nextSequence
        nextSequence += 1
        if let (name, span) = draft.name {
            mention(name, span: span)
            let s = symbol(name)
            if s.kind == .reaction {
                error("reaction '\(name)' is defined twice (first at line \(s.kindSpan?.line ?? span.line))", at: span)
            } else {
                setKind(s, .reaction, at: span)
            }
        }
        for p in draft.reactants + draft.products {
            mention(p.species, span: p.span)
            let s = symbol(p.species)
            setKind(s, .species, at: p.span)
            if p.boundary {
                s.constModifier = true
                s.constSpan = p.span
            }
        }
        if let (c, span) = draft.compartment {
            mention(c, span: span)
            setKind(symbol(c), .compartment, at: span)
        }
        use(draft.uses)
        reactions.append(draft)
    }

    func addEvent(_ draft: EventDraft) {
        if let (name, span) = draft.name {
            mention(name, span: span)
            let s = symbol(name)
            if s.kind == .event {
                error("event '\(name)' is defined twice (first at line \(s.kindSpan?.line ?? span.line))", at: span)
            } else {
                setKind(s, .event, at: span)
            }
        }
        for (target, _, span) in draft.assignments {
            let s = symbol(target)
            if s.eventTarget == nil { s.eventTarget = span }
        }
        use(draft.uses)
        events.append(draft)
    }

    func addFunction(id: String, span: AntimonySpan, arguments: [String], body: Expr, uses: [AntimonyUse]) {
        mention(id, span: span)
        let s = symbol(id)
        if s.kind == .function {
            error("function '\(id)' is defined twice (first at line \(s.kindSpan?.line ?? span.line))", at: span)
            return
        }
        guard setKind(s, .function, at: span) else { return }
        functions.append(FunctionDraft(id: id, span: span, arguments: arguments, body: body, uses: uses))
    }

    func addUnit(_ unit: UnitDefinition, span: AntimonySpan) {
        if let first = units.first(where: { $0.0.id == unit.id }) {
            error("unit '\(unit.id)' is defined twice (first at line \(first.1.line))", at: span)
            return
        }
        units.append((unit, span))
    }

    // MARK: - Building the model

    /// Where elements were written, used to place the problems `Model.validate()` finds.
    private struct Locations {
        var definitions: [String: AntimonySpan] = [:]
        var uses: [String: [String: AntimonySpan]] = [:]
        var ruleSites: [String: [AntimonySpan]] = [:]
        var eventTargets: [String: [String: [AntimonySpan]]] = [:]

        mutating func addUses(_ list: [AntimonyUse], to element: String) {
            guard !list.isEmpty else { return }
            var map = uses[element] ?? [:]
            for u in list where map[u.id] == nil { map[u.id] = u.span }
            uses[element] = map
        }
    }

    /// Indexes where every element was written. Only needed when there are problems to place.
    private func locations() -> Locations {
        var l = Locations()
        for s in symbols.values {
            if let span = s.declared ?? s.firstUse ?? s.kindSpan { l.definitions[s.id] = span }
            if case .expression(_, let nameSpan, _, _, let uses) = s.value {
                if s.kind?.isVariable == true {
                    l.ruleSites[s.id, default: []].append(nameSpan)
                }
                l.addUses(uses, to: s.id)
            }
        }
        for r in reactions {
            l.definitions[r.id] = r.span
            l.addUses(r.uses, to: r.id)
        }
        for rule in rules {
            l.ruleSites[rule.variable, default: []].append(rule.span)
            l.addUses(rule.uses, to: rule.variable)
        }
        for e in events {
            l.definitions[e.id] = e.span
            l.addUses(e.uses, to: e.id)
            for (target, _, span) in e.assignments {
                l.eventTargets[e.id, default: [:]][target, default: []].append(span)
            }
        }
        for f in functions {
            l.definitions[f.id] = f.span
            l.addUses(f.uses, to: f.id)
        }
        return l
    }

    /// Builds the model, or returns every problem found (sorted by position).
    func finish() -> (Model?, [AntimonyDiagnostic]) {
        var model = Model(id: modelId, name: modelName)
        var reported = Set<String>()

        // Ids for unnamed reactions and events, as Antimony gives them.
        var taken = Set(symbols.keys)
        var counter = 0
        for i in reactions.indices {
            if let (name, _) = reactions[i].name {
                reactions[i].id = name
            } else {
                while taken.contains("_J\(counter)") { counter += 1 }
                reactions[i].id = "_J\(counter)"
                taken.insert(reactions[i].id)
                counter += 1
            }
        }
        counter = 0
        for i in events.indices {
            if let (name, _) = events[i].name {
                events[i].id = name
            } else {
                while taken.contains("_E\(counter)") { counter += 1 }
                events[i].id = "_E\(counter)"
                taken.insert(events[i].id)
                counter += 1
            }
        }

        // Decide what every name is.
        for s in symbols.values where s.kind == nil {
            if s.compartment != nil || s.substanceOnly {
                s.kind = .species
            } else if s.order != Int.max {
                s.kind = .parameter
            } else {
                // Only used, never declared or given a value.
                if let use = s.firstUse {
                    error("'\(s.id)' is used but never given a value", at: use)
                } else if let target = s.eventTarget {
                    error("'\(s.id)' is assigned by an event but never given an initial value", at: target)
                }
                reported.insert(s.id)
            }
        }

        // The default compartment holds species declared without one.
        let needsDefault = symbols.values.contains { $0.kind == .species && $0.compartment == nil }
        if needsDefault && symbols["default_compartment"] == nil {
            let d = symbol("default_compartment")
            d.order = Int.max - 1
        }

        var speciesIds = Set<String>()
        var initialAssignments: [(Int, InitialAssignment)] = []

        let ordered = symbols.values.sorted { a, b in a.order != b.order ? a.order < b.order : a.id < b.id }
        for s in ordered {
            guard let kind = s.kind else { continue }
            if !kind.isVariable {
                checkNotAVariable(s, kind: kind)
                continue
            }
            let ruled = s.assignmentRules > 0 || s.rateRules > 0
            var numeric: Double?
            switch s.value {
            case .number(let v, _, _):
                numeric = v
            case .expression(let e, _, _, let sequence, _):
                initialAssignments.append((sequence, InitialAssignment(variable: s.id, math: e)))
            case nil:
                break
            }
            if kind != .species && s.substanceOnly {
                error("'substanceOnly' applies only to species, but '\(s.id)' is \(kind.withArticle)", at: s.declared ?? .start)
            }
            switch kind {
            case .compartment:
                if s.compartment != nil {
                    error("compartments inside compartments ('\(s.id) in \(s.compartment!)') are not supported yet", at: s.inSpan ?? s.declared ?? .start)
                }
                var size: Double?
                if let v = numeric {
                    if v < 0, case .number(_, let span, _) = s.value {
                        error("compartment '\(s.id)' has a negative size (\(AntimonyPrinter.number(v)))", at: span)
                    }
                    size = max(0, v)
                } else if s.value == nil && s.assignmentRules == 0 {
                    size = 1
                }
                let constant = s.constModifier ?? !(ruled || s.eventTarget != nil)
                model.compartments.append(
                    Compartment(
                        id: s.id, name: s.displayName, size: size, spatialDimensions: 3,
                        constant: constant, units: s.units))
            case .species:
                var initial: InitialQuantity?
                let noun = s.substanceOnly ? "amount" : "concentration"
                if let v = numeric {
                    var value = v
                    if v < 0, case .number(_, let span, _) = s.value {
                        error("the initial \(noun) of species '\(s.id)' must not be negative (\(AntimonyPrinter.number(v)))", at: span)
                        value = 0
                    }
                    initial = s.substanceOnly ? .amount(value) : .concentration(value)
                } else if s.value == nil && s.assignmentRules == 0 {
                    initial = s.substanceOnly ? .amount(0) : .concentration(0)
                }
                let compartment = s.compartment ?? "default_compartment"
                model.species.append(
                    Species(
                        id: s.id, compartment: compartment, initial: initial, name: s.displayName,
                        hasOnlySubstanceUnits: s.substanceOnly, boundaryCondition: s.constModifier ?? ruled,
                        constant: false, units: s.units))
                speciesIds.insert(s.id)
            case .parameter:
                if s.compartment != nil {
                    error("only species and reactions can be placed in a compartment, but '\(s.id)' is a parameter", at: s.inSpan ?? .start)
                }
                if numeric == nil && s.value == nil && s.assignmentRules == 0 {
                    if s.rateRules > 0 {
                        error("'\(s.id)' has a rate rule but no initial value; give it one with '\(s.id) = ...'", at: s.declared ?? .start)
                    } else if let use = s.firstUse {
                        error("'\(s.id)' is used but never given a value", at: use)
                    } else if let target = s.eventTarget {
                        error("'\(s.id)' is assigned by an event but never given an initial value", at: target)
                    } else {
                        error("'\(s.id)' is declared but never given a value", at: s.declared ?? .start)
                    }
                    reported.insert(s.id)
                    continue
                }
                let constant = s.constModifier ?? !(ruled || s.eventTarget != nil)
                model.parameters.append(Parameter(id: s.id, value: numeric, constant: constant, name: s.displayName, units: s.units))
            default:
                break
            }
        }

        // Reactions.
        for r in reactions {
            let s = symbols[r.id]
            var rate = r.rate
            if let s, let value = s.value, value.sequence > r.sequence || rate == nil {
                switch value {
                case .number(let v, _, _): rate = .number(v)
                case .expression(let e, _, _, _, _):
                    rate = e
                }
            }
            guard let rate else {
                error("reaction '\(r.id)' has no rate law", at: r.span)
                continue
            }
            let reactants = r.reactants.filter { speciesIds.contains($0.species) }.map { SpeciesReference($0.species, $0.stoichiometry) }
            let products = r.products.filter { speciesIds.contains($0.species) }.map { SpeciesReference($0.species, $0.stoichiometry) }
            let participants = Set(r.reactants.map(\.species) + r.products.map(\.species))
            var modifiers: [String] = []
            var seen = Set<String>()
            rate.visit { e in
                if case .symbol(let id) = e, speciesIds.contains(id), !participants.contains(id), seen.insert(id).inserted {
                    modifiers.append(id)
                }
            }
            let compartment = r.compartment?.0 ?? s?.compartment
            model.reactions.append(
                Reaction(
                    id: r.id, reactants: reactants, products: products, modifiers: modifiers,
                    rate: rate, reversible: r.reversible, name: s?.displayName,
                    compartment: compartment))
        }

        // Rules, in the order written.
        for rule in rules {
            if let kind = symbols[rule.variable]?.kind, !kind.isVariable {
                error("'\(rule.variable)' is \(kind.withArticle) and cannot have a rule", at: rule.span)
                continue
            }
            if reported.contains(rule.variable) { continue }
            model.rules.append(
                rule.isRate
                    ? .rate(variable: rule.variable, math: rule.math)
                    : .assignment(variable: rule.variable, math: rule.math))
        }

        // Initial assignments, in the order of the statements that set them.
        model.initialAssignments = initialAssignments.sorted { $0.0 < $1.0 }.map(\.1)

        // Events.
        for e in events {
            var assignments: [EventAssignment] = []
            for (target, math, span) in e.assignments {
                if let kind = symbols[target]?.kind, !kind.isVariable {
                    error("event '\(e.id)' assigns '\(target)', which is \(kind.withArticle), not a variable", at: span)
                }
                assignments.append(EventAssignment(variable: target, math: math))
            }
            model.events.append(
                Event(
                    id: e.id, trigger: e.trigger, assignments: assignments, delay: e.delay,
                    priority: e.priority, triggerInitialValue: e.triggerInitialValue,
                    persistent: e.persistent, useValuesFromTriggerTime: e.useValuesFromTriggerTime,
                    name: symbols[e.id]?.displayName))
        }

        // Functions.
        for f in functions {
            model.functions.append(FunctionDefinition(id: f.id, arguments: f.arguments, body: f.body))
        }

        // Units; the special names set the model-wide units, as in Antimony.
        model.unitDefinitions = units.map(\.0)
        for (unit, _) in units {
            switch unit.id {
            case "substance": model.substanceUnits = unit.id
            case "volume": model.volumeUnits = unit.id
            case "time_unit": model.timeUnits = unit.id
            case "extent": model.extentUnits = unit.id
            default: break
            }
        }

        if !diagnostics.isEmpty {
            return (nil, diagnostics.sorted { $0.span < $1.span })
        }

        // Structural checks, placed at the text they concern.
        let problems = model.validationErrors()
        let locations = problems.isEmpty ? Locations() : self.locations()
        for e in problems {
            let quoted = AntimonyAssembler.quotedIds(in: e.message)
            if e.kind == .unknownId && quoted.contains(where: reported.contains) { continue }
            diagnostics.append(AntimonyDiagnostic(span: span(for: e, quoted: quoted, locations), message: e.message))
        }
        if !diagnostics.isEmpty {
            return (nil, diagnostics.sorted { $0.span < $1.span })
        }
        return (model, [])
    }

    /// Errors for values, rules, compartments or flags given to a reaction, event or function.
    private func checkNotAVariable(_ s: Symbol, kind: Kind) {
        if kind != .reaction, let value = s.value {
            switch value {
            case .number(_, let span, _), .expression(_, _, let span, _, _):
                error("cannot assign a value to \(kind.rawValue) '\(s.id)'", at: span)
            }
        }
        if let c = s.constModifier, c || kind != .reaction {
            error("\(kind.rawValue)s cannot be declared '\(c ? "const" : "var")'", at: s.constSpan ?? .start)
        }
        if kind != .reaction, s.compartment != nil {
            error("\(kind.withArticle) cannot be placed in a compartment", at: s.inSpan ?? .start)
        }
        if let span = s.unitsSpan {
            error("units cannot be given to \(kind.rawValue) '\(s.id)'", at: span)
        }
        if s.substanceOnly {
            error("'substanceOnly' applies only to species, but '\(s.id)' is \(kind.withArticle)", at: s.declared ?? .start)
        }
    }

    /// Where a problem found by `Model.validate()` should be reported.
    private func span(for e: ModelError, quoted: [String], _ locations: Locations) -> AntimonySpan {
        let element = e.element
        if e.message.contains(" assigns "), let targets = locations.eventTargets[element] {
            for q in quoted where q != element {
                if let sites = targets[q] {
                    return e.kind == .multipleDefinitions && sites.count > 1 ? sites[1] : sites[0]
                }
            }
        }
        if let uses = locations.uses[element] {
            for q in quoted where q != element {
                if let span = uses[q] { return span }
            }
        }
        if let sites = locations.ruleSites[element]?.sorted(by: <), !sites.isEmpty {
            return e.kind == .multipleDefinitions && sites.count > 1 ? sites[1] : sites[0]
        }
        if let span = locations.definitions[element] { return span }
        return modelSpan ?? .start
    }

    /// The ids quoted as `'id'` in a message, in order.
    static func quotedIds(in message: String) -> [String] {
        var out: [String] = []
        var current: String?
        for ch in message {
            if ch == "'" {
                if let c = current {
                    out.append(c)
                    current = nil
                } else {
                    current = ""
                }
            } else if current != nil {
                current!.append(ch)
            }
        }
        return out
    }
}
