import CascadeCore

/// Reads one parsed SBML document into a `Model`. Used through `SBML.read`.
///
/// Defaults follow the specification of the document's level: in Level 2, `reversible`,
/// compartment and parameter `constant` default to true, `spatialDimensions` to 3, a species
/// reference's `stoichiometry` to 1, and events behave as Level 3 events with
/// `initialValue="true"`, `persistent="true"`. Level 3 requires those attributes; when a sloppy
/// file leaves one out, the Level 2 default is used. A Level 3 species reference without a
/// stoichiometry gets 1 (an initial assignment or rule, if any, overrides it). A compartment
/// without a size has `size == nil` at every level: neither Level 2 nor Level 3 gives `size` a
/// default (Level 1's volume default of 1 is gone), so it must come from an initial assignment or
/// a rule.
///
/// Elements without math, which SBML Level 3 Version 2 allows, have no effect and are left out:
/// rules, initial assignments, event assignments, function definitions, priorities and delays.
/// An event trigger without math never fires (its trigger is the constant 0) and a reaction
/// without a kinetic law or without math has rate 0.
///
/// Level 2 `stoichiometryMath` becomes an assignment rule for the species reference, which gets a
/// generated id (`R1_S1_stoichiometry`) when it has none; a constant one is just the stoichiometry.
/// Events without an id get a generated one (`event3`, from their position).
struct SBMLReader {
    static let mathNamespace = MathMLReader.namespace
    /// Annotations Cascade writes so that its own concepts survive a trip through SBML.
    static let cascadeNamespace = "urn:cascade:sbml-annotation:1"

    /// Core namespace URIs by (level, version).
    static let coreNamespaces: [String: (level: Int, version: Int)] = [
        "http://www.sbml.org/sbml/level2": (2, 1),
        "http://www.sbml.org/sbml/level2/version2": (2, 2),
        "http://www.sbml.org/sbml/level2/version3": (2, 3),
        "http://www.sbml.org/sbml/level2/version4": (2, 4),
        "http://www.sbml.org/sbml/level2/version5": (2, 5),
        "http://www.sbml.org/sbml/level3/version1/core": (3, 1),
        "http://www.sbml.org/sbml/level3/version2/core": (3, 2),
    ]

    /// Level 3 packages that only describe presentation or grouping and never change what a
    /// model computes; their elements and attributes are skipped. Every other package is an error.
    static let ignorablePackages: Set<String> = ["layout", "render", "groups"]

    let path: String
    let root: SBMLXMLElement
    let level: Int
    let version: Int
    let core: String
    let math: MathMLReader

    init(root: SBMLXMLElement, path: String) throws {
        self.path = path
        self.root = root
        self.math = MathMLReader(path: path)
        guard root.name == "sbml" else {
            throw SBMLError(
                .notSBML, path: path, line: root.line, column: root.column,
                message: "the root element is <\(root.qualifiedName)>, not <sbml>")
        }
        guard let known = Self.coreNamespaces[root.namespace] else {
            if root["level"] == "1" || root.namespace == "http://www.sbml.org/sbml/level1" {
                throw SBMLError(
                    .unsupportedVersion, path: path, line: root.line, column: root.column,
                    message: "SBML Level 1 is not supported; convert the model to Level 2 or 3")
            }
            if root.namespace.hasPrefix("http://www.sbml.org/sbml/") {
                throw SBMLError(
                    .unsupportedVersion, path: path, line: root.line, column: root.column,
                    message: "SBML namespace '\(root.namespace)' is not supported (Level 2 Versions 1-5 and Level 3 Versions 1-2 are)")
            }
            throw SBMLError(
                .notSBML, path: path, line: root.line, column: root.column,
                message: "<sbml> is not in an SBML namespace (it is in '\(root.namespace)')")
        }
        let level = root["level"].flatMap { Int(SBMLNumber.trim($0)) }
        let version = root["version"].flatMap { Int(SBMLNumber.trim($0)) }
        guard level == known.level, version == known.version else {
            throw SBMLError(
                .invalid, path: path, line: root.line, column: root.column,
                message:
                    "level=\"\(root["level"] ?? "")\" version=\"\(root["version"] ?? "")\" do not match the namespace '\(root.namespace)' (Level \(known.level) Version \(known.version))"
            )
        }
        self.level = known.level
        self.version = known.version
        self.core = root.namespace
    }

    // MARK: - Errors and attributes

    func error(_ kind: SBMLError.Kind, _ element: SBMLXMLElement, _ id: String?, _ message: String) -> SBMLError {
        SBMLError(kind, path: path, line: element.line, column: element.column, elementId: id, message: message)
    }

    func string(_ e: SBMLXMLElement, _ name: String) -> String? {
        e[name].map { SBMLNumber.trim($0) }
    }

    func requiredString(_ e: SBMLXMLElement, _ name: String, owner: String?) throws -> String {
        guard let s = string(e, name), !s.isEmpty else {
            throw error(.invalid, e, owner, "<\(e.name)> has no '\(name)' attribute")
        }
        return s
    }

    func double(_ e: SBMLXMLElement, _ name: String, owner: String?) throws -> Double? {
        guard let text = e[name] else { return nil }
        guard let v = SBMLNumber.parseDouble(text) else {
            throw error(.invalid, e, owner, "\(name)=\"\(text)\" is not a number")
        }
        return v
    }

    func integer(_ e: SBMLXMLElement, _ name: String, owner: String?) throws -> Int? {
        guard let text = e[name] else { return nil }
        guard let v = Int(SBMLNumber.trim(text)) else {
            throw error(.invalid, e, owner, "\(name)=\"\(text)\" is not an integer")
        }
        return v
    }

    func bool(_ e: SBMLXMLElement, _ name: String, owner: String?, default value: Bool) throws -> Bool {
        guard let text = e[name] else { return value }
        switch SBMLNumber.trim(text) {
        case "true", "1": return true
        case "false", "0": return false
        default: throw error(.invalid, e, owner, "\(name)=\"\(text)\" is not true or false")
        }
    }

    /// The math of a `<math>` child of `e`, nil when there is no math (or it is empty).
    func mathChild(of e: SBMLXMLElement, owner: String?) throws -> Expr? {
        guard let m = e.child(named: "math", in: Self.mathNamespace) else {
            if let stray = e.children.first(where: { $0.name == "math" }) {
                throw error(.invalid, stray, owner, "<math> is not in the MathML namespace")
            }
            return nil
        }
        return try math.expression(inMath: m, owner: owner)
    }

    /// The children of a `listOfX` element, checking each is an `item` element of the core.
    func items(_ list: SBMLXMLElement?, _ item: String, alternatives: Set<String> = []) throws -> [SBMLXMLElement] {
        guard let list else { return [] }
        var out: [SBMLXMLElement] = []
        for child in list.children where isCore(child) {
            if child.name == item || alternatives.contains(child.name) {
                out.append(child)
            } else if child.name != "notes" && child.name != "annotation" {
                throw error(.invalid, child, nil, "unexpected <\(child.name)> in <\(list.name)>")
            }
        }
        return out
    }

    func isCore(_ e: SBMLXMLElement) -> Bool { e.namespace == core }

    func list(_ parent: SBMLXMLElement, _ name: String) -> SBMLXMLElement? {
        parent.child(named: name, in: core)
    }

    // MARK: - Packages

    /// The package a namespace URI belongs to: `comp` for
    /// `http://www.sbml.org/sbml/level3/version1/comp/version1`.
    static func packageName(_ uri: String, prefix: String?) -> String {
        let parts = uri.split(separator: "/")
        if uri.hasPrefix("http://www.sbml.org/sbml/level3/"), parts.count >= 6 { return String(parts[5]) }
        return prefix ?? uri
    }

    /// Rejects elements and attributes from SBML packages (outside notes and annotations), other
    /// than the `pkg:required` flag on `<sbml>` and the presentation-only packages.
    func checkPackages() throws {
        func id(of e: SBMLXMLElement) -> String? {
            e["id"] ?? e.attributes.first { $0.name == "id" }?.value
        }
        func walk(_ e: SBMLXMLElement, owner: String?) throws {
            let owner = id(of: e) ?? owner
            if e.namespace != core {
                let package = Self.packageName(e.namespace, prefix: e.prefix)
                if Self.ignorablePackages.contains(package) { return }
                throw error(
                    .unsupportedPackage, e, owner,
                    "<\(e.qualifiedName)> belongs to the SBML package '\(package)', which is not supported")
            }
            for a in e.attributes {
                guard let ns = a.namespace, ns != core else { continue }
                if e === root && a.name == "required" { continue }
                let package = Self.packageName(ns, prefix: a.prefix)
                if Self.ignorablePackages.contains(package) || ns == "http://www.w3.org/XML/1998/namespace" { continue }
                throw error(
                    .unsupportedPackage, e, owner,
                    "attribute \(a.qualifiedName) on <\(e.name)> belongs to the SBML package '\(package)', which is not supported")
            }
            for child in e.children {
                if child.namespace == core && (child.name == "notes" || child.name == "annotation") { continue }
                if child.namespace == Self.mathNamespace { continue }  // checked by the MathML reader
                try walk(child, owner: owner)
            }
        }
        try walk(root, owner: nil)
    }

    // MARK: - The model

    func read() throws -> Model {
        try checkPackages()
        guard let m = list(root, "model") else {
            throw error(.invalid, root, nil, "the document has no <model>")
        }
        let allowed: Set<String> = [
            "notes", "annotation", "listOfFunctionDefinitions", "listOfUnitDefinitions", "listOfCompartmentTypes",
            "listOfSpeciesTypes", "listOfCompartments", "listOfSpecies", "listOfParameters",
            "listOfInitialAssignments", "listOfRules", "listOfConstraints", "listOfReactions", "listOfEvents",
        ]
        for child in m.children where isCore(child) && !allowed.contains(child.name) {
            throw error(.invalid, child, string(m, "id"), "unexpected <\(child.name)> in <model>")
        }

        var model = Model(id: string(m, "id") ?? "", name: m["name"])
        model.substanceUnits = string(m, "substanceUnits")
        model.timeUnits = string(m, "timeUnits")
        model.volumeUnits = string(m, "volumeUnits")
        model.extentUnits = string(m, "extentUnits")
        model.conversionFactor = string(m, "conversionFactor")

        for f in try items(list(m, "listOfFunctionDefinitions"), "functionDefinition") {
            if let fd = try functionDefinition(f) { model.functions.append(fd) }
        }
        for u in try items(list(m, "listOfUnitDefinitions"), "unitDefinition") {
            model.unitDefinitions.append(try unitDefinition(u))
        }
        for c in try items(list(m, "listOfCompartments"), "compartment") {
            model.compartments.append(try compartment(c))
        }
        for s in try items(list(m, "listOfSpecies"), "species") {
            model.species.append(try species(s))
        }
        var observableIds: [String] = []
        for p in try items(list(m, "listOfParameters"), "parameter") {
            let parameter = try parameter(p, local: false)
            if hasCascadeMarker(p, "observable") { observableIds.append(parameter.id) }
            model.parameters.append(parameter)
        }
        for ia in try items(list(m, "listOfInitialAssignments"), "initialAssignment") {
            let symbol = try requiredString(ia, "symbol", owner: nil)
            if let e = try mathChild(of: ia, owner: symbol) {
                model.initialAssignments.append(InitialAssignment(variable: symbol, math: e))
            }
        }
        for r in try items(list(m, "listOfRules"), "assignmentRule", alternatives: ["rateRule", "algebraicRule"]) {
            if let rule = try rule(r) { model.rules.append(rule) }
        }

        // Species references whose stoichiometry is given by L2 stoichiometryMath need generated
        // ids; they are assigned once every declared id is known.
        var stoichiometryMath: [(reaction: Int, product: Bool, index: Int, math: Expr)] = []
        for r in try items(list(m, "listOfReactions"), "reaction") {
            let (reaction, pending) = try self.reaction(r)
            for p in pending {
                stoichiometryMath.append((model.reactions.count, p.product, p.index, p.math))
            }
            model.reactions.append(reaction)
        }
        var eventsWithoutId: [Int] = []
        for e in try items(list(m, "listOfEvents"), "event") {
            let event = try self.event(e)
            if event.id.isEmpty { eventsWithoutId.append(model.events.count) }
            model.events.append(event)
        }

        // Generated ids.
        var used = Set(model.allIds.map(\.id))
        for r in model.reactions { for p in r.localParameters { used.insert(p.id) } }
        func fresh(_ base: String) -> String {
            var candidate = base
            var n = 2
            while used.contains(candidate) {
                candidate = "\(base)_\(n)"
                n += 1
            }
            used.insert(candidate)
            return candidate
        }
        for i in eventsWithoutId {
            model.events[i].id = fresh("event\(i + 1)")
        }
        for s in stoichiometryMath {
            let reactionId = model.reactions[s.reaction].id
            let reference =
                s.product
                ? model.reactions[s.reaction].products[s.index]
                : model.reactions[s.reaction].reactants[s.index]
            let id = reference.id ?? fresh("\(reactionId)_\(reference.species)_stoichiometry")
            if s.product {
                model.reactions[s.reaction].products[s.index].id = id
                model.reactions[s.reaction].products[s.index].constant = false
            } else {
                model.reactions[s.reaction].reactants[s.index].id = id
                model.reactions[s.reaction].reactants[s.index].constant = false
            }
            model.rules.append(.assignment(variable: id, math: s.math))
        }

        // Parameters Cascade wrote for its observables become observables again.
        for id in observableIds {
            guard
                let ruleIndex = model.rules.firstIndex(where: {
                    if case .assignment(id, _) = $0 { return true } else { return false }
                }), let parameterIndex = model.parameters.firstIndex(where: { $0.id == id })
            else { continue }
            let parameter = model.parameters.remove(at: parameterIndex)
            let rule = model.rules.remove(at: ruleIndex)
            model.observables.append(Observable(id: id, math: rule.math, name: parameter.name))
        }
        return model
    }

    /// True when `e` carries `<cascade:marker/>` in its annotation.
    func hasCascadeMarker(_ e: SBMLXMLElement, _ marker: String) -> Bool {
        guard let annotation = e.child(named: "annotation", in: core) else { return false }
        return annotation.children.contains { $0.namespace == Self.cascadeNamespace && $0.name == marker }
    }

    // MARK: - Components

    func functionDefinition(_ f: SBMLXMLElement) throws -> FunctionDefinition? {
        let id = try requiredString(f, "id", owner: nil)
        guard let m = f.child(named: "math", in: Self.mathNamespace),
            let (arguments, body) = try math.lambda(inMath: m, owner: id)
        else { return nil }
        return FunctionDefinition(id: id, arguments: arguments, body: body)
    }

    func unitDefinition(_ u: SBMLXMLElement) throws -> UnitDefinition {
        let id = try requiredString(u, "id", owner: nil)
        var factors: [UnitDefinition.Factor] = []
        for unit in try items(list(u, "listOfUnits"), "unit") {
            factors.append(
                UnitDefinition.Factor(
                    kind: try requiredString(unit, "kind", owner: id),
                    exponent: try double(unit, "exponent", owner: id) ?? 1,
                    scale: try integer(unit, "scale", owner: id) ?? 0,
                    multiplier: try double(unit, "multiplier", owner: id) ?? 1))
        }
        return UnitDefinition(id: id, factors: factors)
    }

    func compartment(_ c: SBMLXMLElement) throws -> Compartment {
        let id = try requiredString(c, "id", owner: nil)
        let dimensions = try double(c, "spatialDimensions", owner: id) ?? (level == 2 ? 3 : nil)
        return Compartment(
            id: id, name: c["name"], size: try double(c, "size", owner: id),
            spatialDimensions: dimensions,
            constant: try bool(c, "constant", owner: id, default: true), units: string(c, "units"))
    }

    func species(_ s: SBMLXMLElement) throws -> Species {
        let id = try requiredString(s, "id", owner: nil)
        let amount = try double(s, "initialAmount", owner: id)
        let concentration = try double(s, "initialConcentration", owner: id)
        var initial: InitialQuantity?
        switch (amount, concentration) {
        case (let a?, nil): initial = .amount(a)
        case (nil, let c?): initial = .concentration(c)
        case (nil, nil): initial = nil
        case (_?, _?): throw error(.invalid, s, id, "species '\(id)' has both initialAmount and initialConcentration")
        }
        return Species(
            id: id, compartment: try requiredString(s, "compartment", owner: id), initial: initial,
            name: s["name"],
            hasOnlySubstanceUnits: try bool(s, "hasOnlySubstanceUnits", owner: id, default: false),
            boundaryCondition: try bool(s, "boundaryCondition", owner: id, default: false),
            constant: try bool(s, "constant", owner: id, default: false),
            conversionFactor: string(s, "conversionFactor"), units: string(s, "substanceUnits"))
    }

    func parameter(_ p: SBMLXMLElement, local: Bool) throws -> Parameter {
        let id = try requiredString(p, "id", owner: nil)
        return Parameter(
            id: id, value: try double(p, "value", owner: id),
            constant: local ? true : try bool(p, "constant", owner: id, default: true),
            name: p["name"], units: string(p, "units"))
    }

    func rule(_ r: SBMLXMLElement) throws -> Rule? {
        if r.name == "algebraicRule" {
            return try mathChild(of: r, owner: "algebraic rule").map { Rule.algebraic(math: $0) }
        }
        let variable = try requiredString(r, "variable", owner: nil)
        guard let e = try mathChild(of: r, owner: variable) else { return nil }
        return r.name == "assignmentRule" ? .assignment(variable: variable, math: e) : .rate(variable: variable, math: e)
    }

    func reaction(_ r: SBMLXMLElement) throws
        -> (Reaction, [(product: Bool, index: Int, math: Expr)])
    {
        let id = try requiredString(r, "id", owner: nil)
        let allowed: Set<String> = ["notes", "annotation", "listOfReactants", "listOfProducts", "listOfModifiers", "kineticLaw"]
        for child in r.children where isCore(child) && !allowed.contains(child.name) {
            throw error(.invalid, child, id, "unexpected <\(child.name)> in <reaction>")
        }
        var pending: [(product: Bool, index: Int, math: Expr)] = []
        func references(_ listName: String, product: Bool) throws -> [SpeciesReference] {
            var out: [SpeciesReference] = []
            for sr in try items(list(r, listName), "speciesReference") {
                let species = try requiredString(sr, "species", owner: id)
                let srId = string(sr, "id")
                var stoichiometry = try double(sr, "stoichiometry", owner: srId ?? id) ?? 1
                var constant = try bool(sr, "constant", owner: srId ?? id, default: true)
                if let sm = sr.child(named: "stoichiometryMath", in: core), level == 2 {
                    if let e = try mathChild(of: sm, owner: id) {
                        if let v = e.numericValue {
                            stoichiometry = v  // a constant stoichiometryMath is just a stoichiometry
                        } else {
                            pending.append((product, out.count, e))
                            constant = false
                        }
                    }
                }
                out.append(SpeciesReference(species, stoichiometry, id: srId, constant: constant))
            }
            return out
        }
        let reactants = try references("listOfReactants", product: false)
        let products = try references("listOfProducts", product: true)
        let modifiers = try items(list(r, "listOfModifiers"), "modifierSpeciesReference")
            .map { try requiredString($0, "species", owner: id) }

        var rate: Expr = .number(0)
        var locals: [Parameter] = []
        if let law = r.child(named: "kineticLaw", in: core) {
            rate = try mathChild(of: law, owner: id) ?? .number(0)
            for p in try items(list(law, "listOfLocalParameters"), "localParameter") {
                locals.append(try parameter(p, local: true))
            }
            for p in try items(list(law, "listOfParameters"), "parameter") {
                locals.append(try parameter(p, local: true))
            }
        }
        let fast = try bool(r, "fast", owner: id, default: false) || hasCascadeMarker(r, "fast")
        let reaction = Reaction(
            id: id, reactants: reactants, products: products, modifiers: modifiers, rate: rate,
            reversible: try bool(r, "reversible", owner: id, default: true), name: r["name"],
            localParameters: locals, fast: fast, compartment: string(r, "compartment"))
        return (reaction, pending)
    }

    func event(_ e: SBMLXMLElement) throws -> Event {
        let id = string(e, "id") ?? ""
        let owner = id.isEmpty ? nil : id
        var trigger: Expr = .number(0)
        var initialValue = true
        var persistent = true
        if let t = e.child(named: "trigger", in: core) {
            trigger = try mathChild(of: t, owner: owner) ?? .number(0)
            initialValue = try bool(t, "initialValue", owner: owner, default: true)
            persistent = try bool(t, "persistent", owner: owner, default: true)
        }
        let delay = try e.child(named: "delay", in: core).flatMap { try mathChild(of: $0, owner: owner) }
        let priority = try e.child(named: "priority", in: core).flatMap { try mathChild(of: $0, owner: owner) }
        var assignments: [EventAssignment] = []
        for a in try items(list(e, "listOfEventAssignments"), "eventAssignment") {
            let variable = try requiredString(a, "variable", owner: owner)
            if let m = try mathChild(of: a, owner: owner ?? variable) {
                assignments.append(EventAssignment(variable: variable, math: m))
            }
        }
        return Event(
            id: id, trigger: trigger, assignments: assignments, delay: delay, priority: priority,
            triggerInitialValue: initialValue, persistent: persistent,
            useValuesFromTriggerTime: try bool(e, "useValuesFromTriggerTime", owner: owner, default: true),
            name: e["name"])
    }
}
