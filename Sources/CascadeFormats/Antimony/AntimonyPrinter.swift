import CascadeCore

/// Writes a `Model` as Antimony text in the supported subset.
///
/// The layout is fixed so that parsing the text gives back the same model: functions first (they
/// live outside the model block in Antimony), then units, compartments, species, parameters (each
/// declared in model order, which fixes the element order on reading), reactions, rules, initial
/// assignments, events, and finally units given with `has` and display names given with `is`.
struct AntimonyPrinter {
    private let model: Model
    /// Ids that cannot be written as they are (reserved words, invalid spellings) and their
    /// replacements.
    private var renamed: [String: String] = [:]
    /// Function ids that clash with built-in functions, and their replacements.
    private var renamedFunctions: [String: String] = [:]
    /// Local parameters turned into global ones: (reaction id, local id) → global id.
    private var promotedLocals: [String: [String: String]] = [:]
    private var promotedParameters: [Parameter] = []
    private var notes: [String] = []

    init(_ model: Model) {
        self.model = model
        var taken = Set(model.allIds.map(\.id))
        func fresh(_ base: String) -> String {
            var candidate = base
            var n = 1
            while taken.contains(candidate) || AntimonyNames.isReserved(candidate) {
                candidate = "\(base)_\(n)"
                n += 1
            }
            taken.insert(candidate)
            return candidate
        }
        for (id, kind) in model.allIds {
            if kind == .function {
                if AntimonyNames.isReserved(id) || AntimonyNames.isBuiltinFunction(id) || !AntimonyNames.isValidId(id) {
                    renamedFunctions[id] = fresh(AntimonyPrinter.sanitized(id) + "_")
                }
            } else if AntimonyNames.isReserved(id) || !AntimonyNames.isValidId(id) {
                renamed[id] = fresh(AntimonyPrinter.sanitized(id) + "_")
            }
        }
        for r in model.reactions where !r.localParameters.isEmpty {
            var map: [String: String] = [:]
            for p in r.localParameters {
                let global = fresh(AntimonyPrinter.sanitized("\(renamed[r.id] ?? r.id)_\(p.id)"))
                map[p.id] = global
                promotedParameters.append(Parameter(id: global, value: p.value, constant: true, name: p.name, units: p.units))
            }
            promotedLocals[r.id] = map
        }
    }

    private static func sanitized(_ id: String) -> String {
        var out = ""
        for u in id.unicodeScalars {
            let ok = (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_"
            out.unicodeScalars.append(ok ? u : "_")
        }
        if out.isEmpty || out.first!.isNumber { out = "_" + out }
        return out
    }

    private func id(_ s: String) -> String { renamed[s] ?? s }

    // MARK: - Numbers

    /// A number spelled so that reading it back gives exactly the same `Double`.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == v.rounded(), abs(v) < 1e15 {
            return String(Int64(v))
        }
        return "\(v)"
    }

    // MARK: - Expressions

    /// Binding strength of the outermost operator of printed text.
    private enum Level: Int, Comparable {
        case logical = 1
        case relational, additive, multiplicative, unary, power, primary
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    func expression(_ e: Expr, locals: [String: String] = [:]) -> String {
        format(e, locals).text
    }

    private func format(_ e: Expr, _ locals: [String: String]) -> (text: String, level: Level) {
        switch e {
        case .number(let v):
            if v < 0 { return ("-" + AntimonyPrinter.number(-v), .unary) }
            return (AntimonyPrinter.number(v), .primary)
        case .symbol(let s):
            return (locals[s] ?? id(s), .primary)
        case .time:
            return ("time", .primary)
        case .call(let f, let args):
            return ("\(renamedFunctions[f] ?? f)(\(args.map { format($0, locals).text }.joined(separator: ", ")))", .primary)
        case .piecewise(let pieces, let otherwise):
            var parts: [String] = []
            for p in pieces {
                parts.append(format(p.value, locals).text)
                parts.append(format(p.condition, locals).text)
            }
            if let o = otherwise { parts.append(format(o, locals).text) }
            return ("piecewise(\(parts.joined(separator: ", ")))", .primary)
        case .apply(let op, let args):
            return apply(op, args, locals)
        }
    }

    /// `e` as an operand that must bind at least as tightly as `level`. A negative number in a
    /// later position is parenthesized for readability; an operand that would merge into an
    /// n-ary operator on reading (`(a + b) + c`) is parenthesized to keep the tree.
    private func operand(
        _ e: Expr, _ level: Level, _ locals: [String: String], leading: Bool = false,
        separate: Op? = nil
    ) -> String {
        let (text, l) = format(e, locals)
        var needsParens = l < level
        if !leading, case .number(let v) = e, v < 0 { needsParens = true }
        if let separate, case .apply(let op, let a) = e, op == separate, a.count >= 2 { needsParens = true }
        return needsParens ? "(\(text))" : text
    }

    private func call(_ name: String, _ args: [Expr], _ locals: [String: String]) -> (String, Level) {
        ("\(name)(\(args.map { format($0, locals).text }.joined(separator: ", ")))", .primary)
    }

    private func apply(_ op: Op, _ args: [Expr], _ locals: [String: String]) -> (text: String, level: Level) {
        switch op {
        case .add, .mul:
            guard args.count >= 2 else { return call(AntimonyNames.functionName(op), args, locals) }
            let level: Level = op == .add ? .additive : .multiplicative
            let next: Level = op == .add ? .multiplicative : .unary
            var parts = [operand(args[0], level, locals, leading: true, separate: op)]
            for a in args.dropFirst() { parts.append(operand(a, next, locals)) }
            return (parts.joined(separator: op == .add ? " + " : "*"), level)
        case .sub, .div:
            guard args.count == 2 else { return call(AntimonyNames.functionName(op), args, locals) }
            let level: Level = op == .sub ? .additive : .multiplicative
            let next: Level = op == .sub ? .multiplicative : .unary
            let left = operand(args[0], level, locals, leading: true)
            let right = operand(args[1], next, locals)
            return (op == .sub ? "\(left) - \(right)" : "\(left)/\(right)", level)
        case .pow:
            guard args.count == 2 else { return call("pow", args, locals) }
            return ("\(operand(args[0], .primary, locals))^\(operand(args[1], .unary, locals, leading: true))", .power)
        case .neg:
            guard args.count == 1 else { return call("minus", args, locals) }
            let a = args[0]
            let (text, level) = format(a, locals)
            if case .number = a { return ("-(\(text))", .unary) }
            if level < .unary || text.hasPrefix("-") { return ("-(\(text))", .unary) }
            return ("-\(text)", .unary)
        case .not:
            guard args.count == 1 else { return call("not", args, locals) }
            return ("!\(operand(args[0], .unary, locals, leading: true))", .unary)
        case .and, .or:
            guard args.count >= 2 else { return call(op.rawValue, args, locals) }
            let parts = args.map { operand($0, .relational, locals, leading: true) }
            return (parts.joined(separator: op == .and ? " && " : " || "), .logical)
        case .eq, .neq, .lt, .le, .gt, .ge:
            guard args.count == 2 || (args.count > 2 && op != .neq) else {
                return call(AntimonyNames.functionName(op), args, locals)
            }
            let symbol: String
            switch op {
            case .eq: symbol = "=="
            case .neq: symbol = "!="
            case .lt: symbol = "<"
            case .le: symbol = "<="
            case .gt: symbol = ">"
            default: symbol = ">="
            }
            let parts = args.map { operand($0, .additive, locals, leading: true) }
            return (parts.joined(separator: " \(symbol) "), .relational)
        default:
            return call(AntimonyNames.functionName(op), args, locals)
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            if ch == "\"" || ch == "\\" { out.append("\\") }
            if ch == "\n" { out.append(" "); continue }
            out.append(ch)
        }
        return out + "\""
    }

    // MARK: - The model

    func render() -> String {
        var out = ""
        var lost: [String] = []

        // Which variables rules and events change (to decide when const/var must be written).
        var assignmentRuled = Set<String>(), rateRuled = Set<String>()
        for rule in model.rules {
            switch rule {
            case .assignment(let v, _): assignmentRuled.insert(v)
            case .rate(let v, _): rateRuled.insert(v)
            case .algebraic(let m): lost.append("algebraic rule 0 = \(expression(m))")
            }
        }
        let ruled = assignmentRuled.union(rateRuled)
        let eventTargets = Set(model.events.flatMap { $0.assignments.map(\.variable) })
        let withInitialAssignment = Set(model.initialAssignments.map(\.variable))

        // Functions live outside the model block.
        for f in model.functions {
            let name = renamedFunctions[f.id] ?? f.id
            var locals: [String: String] = [:]
            var taken = Set<String>()
            for a in f.arguments {
                var n = AntimonyNames.isReserved(a) || !AntimonyNames.isValidId(a) ? AntimonyPrinter.sanitized(a) + "_" : a
                while taken.contains(n) { n += "_" }
                taken.insert(n)
                locals[a] = n
            }
            out += "function \(name)(\(f.arguments.map { locals[$0]! }.joined(separator: ", ")))\n"
            out += "  \(expression(f.body, locals: locals))\n"
            out += "end\n\n"
        }

        let modelId =
            AntimonyNames.isValidId(model.id) && !AntimonyNames.isReserved(model.id)
            ? model.id : AntimonyPrinter.sanitized(model.id) + "_"
        out += "model *\(modelId)()\n"

        func section(_ title: String, _ lines: [String]) {
            guard !lines.isEmpty else { return }
            out += "\n  // \(title)\n"
            for l in lines { out += "  \(l)\n" }
        }

        // Units.
        section("Units", model.unitDefinitions.map { "unit \(id($0.id)) = \(unitExpression($0.factors))" })

        // Compartments.
        var compartmentLines: [String] = []
        let usesDefault = model.species.contains { $0.compartment == "default_compartment" }
        for (i, c) in model.compartments.enumerated() {
            let implicitDefault =
                c.id == "default_compartment" && i == model.compartments.count - 1 && usesDefault
                && c.size == 1 && c.constant && c.spatialDimensions == 3 && c.name == nil && c.units == nil
                && !ruled.contains(c.id) && !eventTargets.contains(c.id) && !withInitialAssignment.contains(c.id)
            if implicitDefault { continue }
            let inferred = !(ruled.contains(c.id) || eventTargets.contains(c.id))
            var line = c.constant != inferred ? (c.constant ? "const " : "var ") : ""
            line += "compartment \(id(c.id))"
            if let size = c.size, !withInitialAssignment.contains(c.id) {
                line += " = \(AntimonyPrinter.number(size))"
            } else if c.size == nil && !withInitialAssignment.contains(c.id) && !assignmentRuled.contains(c.id) {
                lost.append("compartment \(c.id) has no size (read back as 1)")
            }
            if let d = c.spatialDimensions, d != 3 { lost.append("compartment \(c.id) has \(AntimonyPrinter.number(d)) spatial dimensions") }
            compartmentLines.append(line)
        }
        section("Compartments", compartmentLines)

        // Species.
        var speciesLines: [String] = []
        var extraInitialAssignments: [String] = []
        for s in model.species {
            let inferredBoundary = ruled.contains(s.id)
            var line = ""
            if s.boundaryCondition != inferredBoundary && !s.boundaryCondition { line += "var " }
            if s.hasOnlySubstanceUnits { line += "substanceOnly " }
            line += "species "
            if s.boundaryCondition && !inferredBoundary { line += "$" }
            line += id(s.id)
            if s.compartment != "default_compartment" { line += " in \(id(s.compartment))" }
            if !withInitialAssignment.contains(s.id), let q = s.initial {
                switch (q, s.hasOnlySubstanceUnits) {
                case (.concentration(let v), false), (.amount(let v), true):
                    line += " = \(AntimonyPrinter.number(v))"
                case (.amount(let v), false):
                    // An amount for a concentration species: divide by the compartment size.
                    extraInitialAssignments.append("\(id(s.id)) = \(AntimonyPrinter.number(v))/\(id(s.compartment))")
                case (.concentration(let v), true):
                    extraInitialAssignments.append("\(id(s.id)) = \(AntimonyPrinter.number(v))*\(id(s.compartment))")
                }
            } else if s.initial == nil && !withInitialAssignment.contains(s.id) && !assignmentRuled.contains(s.id) {
                lost.append("species \(s.id) has no initial value (read back as 0)")
            }
            if s.constant { lost.append("species \(s.id) is constant (written as a boundary species)") }
            if s.conversionFactor != nil { lost.append("species \(s.id) has conversion factor \(s.conversionFactor!)") }
            speciesLines.append(line)
        }
        section("Species", speciesLines)

        // Parameters (declared in model order; those without a value by const/var).
        var parameterLines: [String] = []
        for p in model.parameters + promotedParameters {
            let inferred = !(ruled.contains(p.id) || eventTargets.contains(p.id))
            if let v = p.value, !withInitialAssignment.contains(p.id) {
                let prefix = p.constant != inferred ? (p.constant ? "const " : "var ") : ""
                parameterLines.append("\(prefix)\(id(p.id)) = \(AntimonyPrinter.number(v))")
            } else {
                parameterLines.append("\(p.constant ? "const" : "var") \(id(p.id))")
                if p.value == nil && !withInitialAssignment.contains(p.id) && !assignmentRuled.contains(p.id) {
                    lost.append("parameter \(p.id) has no value")
                }
            }
        }
        section("Parameters", parameterLines)

        // Reactions.
        var reactionLines: [String] = []
        for r in model.reactions {
            func side(_ refs: [SpeciesReference]) -> String {
                refs.map { ref in
                    ref.stoichiometry == 1 ? id(ref.species) : "\(AntimonyPrinter.number(ref.stoichiometry)) \(id(ref.species))"
                }.joined(separator: " + ")
            }
            var line = id(r.id)
            if let c = r.compartment { line += " in \(id(c))" }
            line += ": "
            let lhs = side(r.reactants), rhs = side(r.products)
            line += lhs.isEmpty ? "" : lhs + " "
            line += r.reversible ? "->" : "=>"
            line += rhs.isEmpty ? " " : " " + rhs
            line += "; \(expression(r.rate, locals: promotedLocals[r.id] ?? [:]))"
            reactionLines.append(line)
            if r.fast { lost.append("reaction \(r.id) is fast") }
            if (r.reactants + r.products).contains(where: { $0.id != nil || !$0.constant }) {
                lost.append("reaction \(r.id) has named or variable stoichiometries")
            }
        }
        section("Reactions", reactionLines)

        // Rules.
        var ruleLines: [String] = []
        for rule in model.rules {
            switch rule {
            case .assignment(let v, let m): ruleLines.append("\(id(v)) := \(expression(m))")
            case .rate(let v, let m): ruleLines.append("\(id(v))' = \(expression(m))")
            case .algebraic: break
            }
        }
        section("Rules", ruleLines)

        // Initial assignments.
        section(
            "Initial assignments",
            model.initialAssignments.map { "\(id($0.variable)) = \(expression($0.math))" } + extraInitialAssignments)

        // Events.
        var eventLines: [String] = []
        for e in model.events {
            guard !e.assignments.isEmpty else {
                lost.append("event \(e.id) has no assignments")
                continue
            }
            var line = "\(id(e.id)): at "
            if let d = e.delay { line += "\(expression(d)) after " }
            line += expression(e.trigger)
            if let p = e.priority { line += ", priority = \(expression(p))" }
            if !e.triggerInitialValue { line += ", t0 = false" }
            if !e.persistent { line += ", persistent = false" }
            if !e.useValuesFromTriggerTime { line += ", fromTrigger = false" }
            line += ": " + e.assignments.map { "\(id($0.variable)) = \(expression($0.math))" }.joined(separator: ", ")
            eventLines.append(line)
        }
        section("Events", eventLines)

        // Units given to elements, and display names.
        var annotationLines: [String] = []
        for c in model.compartments { if let u = c.units { annotationLines.append("\(id(c.id)) has \(u)") } }
        for s in model.species { if let u = s.units { annotationLines.append("\(id(s.id)) has \(u)") } }
        for p in model.parameters + promotedParameters { if let u = p.units { annotationLines.append("\(id(p.id)) has \(u)") } }
        if let n = model.name { annotationLines.append("\(modelId) is \(AntimonyPrinter.quoted(n))") }
        for c in model.compartments { if let n = c.name { annotationLines.append("\(id(c.id)) is \(AntimonyPrinter.quoted(n))") } }
        for s in model.species { if let n = s.name { annotationLines.append("\(id(s.id)) is \(AntimonyPrinter.quoted(n))") } }
        for p in model.parameters + promotedParameters { if let n = p.name { annotationLines.append("\(id(p.id)) is \(AntimonyPrinter.quoted(n))") } }
        for r in model.reactions { if let n = r.name { annotationLines.append("\(id(r.id)) is \(AntimonyPrinter.quoted(n))") } }
        for e in model.events where !e.assignments.isEmpty { if let n = e.name { annotationLines.append("\(id(e.id)) is \(AntimonyPrinter.quoted(n))") } }
        section("Units and display names", annotationLines)

        // What the subset cannot say.
        for o in model.observables { lost.append("observable \(o.id) := \(expression(o.math))") }
        if let cf = model.conversionFactor { lost.append("model conversion factor \(cf)") }
        for (label, value, special) in [
            ("time", model.timeUnits, "time_unit"), ("substance", model.substanceUnits, "substance"),
            ("volume", model.volumeUnits, "volume"), ("extent", model.extentUnits, "extent"),
        ] {
            if let v = value, v != special || !model.unitDefinitions.contains(where: { $0.id == special }) {
                lost.append("model \(label) units \(v)")
            }
        }
        if !renamed.isEmpty || !renamedFunctions.isEmpty || !promotedParameters.isEmpty {
            var changes = (renamed.merging(renamedFunctions) { a, _ in a }).sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
            for (r, map) in promotedLocals.sorted(by: { $0.key < $1.key }) {
                changes += map.sorted { $0.key < $1.key }.map { "local \($0.key) of \(r) → \($0.value)" }
            }
            out += "\n  // Renamed: \(changes.joined(separator: ", "))\n"
        }
        if !lost.isEmpty {
            out += "\n  // Not expressible in the Antimony subset (dropped):\n"
            for l in lost { out += "  //   \(l)\n" }
        }
        out += "end\n"
        return out
    }

    /// A unit definition's right side: `1e-06 mole / litre`, `(0.001 mole)^2 * second^-1`.
    private func unitExpression(_ factors: [UnitDefinition.Factor]) -> String {
        guard !factors.isEmpty else { return "dimensionless" }
        var out = ""
        for (i, f) in factors.enumerated() {
            var multiplier = f.multiplier
            if f.scale != 0 { multiplier *= pow10(f.scale) }
            let divide = i > 0 && f.exponent < 0
            let exponent = divide ? -f.exponent : f.exponent
            var term: String
            if multiplier != 1 {
                term = "\(AntimonyPrinter.number(multiplier)) \(f.kind)"
                if exponent != 1 { term = "(\(term))^\(AntimonyPrinter.number(exponent))" }
            } else {
                term = f.kind
                if exponent != 1 { term += "^\(AntimonyPrinter.number(exponent))" }
            }
            if i == 0 {
                out = term
            } else {
                out += divide ? " / \(term)" : " * \(term)"
            }
        }
        return out
    }

    private func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0 ..< abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }
}
