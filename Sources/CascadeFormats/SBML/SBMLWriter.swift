import CascadeCore

/// Writes a `Model` as SBML Level 3 Version 2 core. Used through `SBML.write`.
///
/// Two Cascade concepts have no SBML core counterpart and are written so that `SBML.read` brings
/// them back (other tools see plain SBML):
/// - an observable becomes a non-constant parameter with an assignment rule, marked by
///   `<cascade:observable/>` in its annotation;
/// - a fast reaction (Level 3 Version 2 dropped the `fast` attribute) is marked by
///   `<cascade:fast/>` in its annotation.
struct SBMLWriter {
    static let core = "http://www.sbml.org/sbml/level3/version2/core"

    private var out = SBMLXMLText()
    private var notes = SBMLNotes()

    static func write(_ model: Model, notes: SBMLNotes = SBMLNotes()) -> String {
        var w = SBMLWriter()
        w.notes = notes
        w.model(model)
        return w.out.text
    }

    /// Writes an element whose only possible content is its notes.
    private mutating func noted(_ name: String, id: String, _ attributes: [(String, String?)], _ indent: Int) {
        if let text = notes.elements[id], !SBMLNotes.paragraphs(text).isEmpty {
            element(name, attributes, indent) { w in SBMLNotes.write(text, to: &w.out, indent: indent + 1) }
        } else {
            element(name, attributes, indent)
        }
    }

    private static func bool(_ b: Bool) -> String { b ? "true" : "false" }
    private static func number(_ v: Double?) -> String? { v.map(SBMLNumber.format) }

    private mutating func line(_ s: String, _ indent: Int) { out.line(s, indent) }

    private mutating func element(
        _ name: String, _ attributes: [(String, String?)], _ indent: Int,
        body: ((inout SBMLWriter) -> Void)? = nil
    ) {
        guard let body else {
            line(SBMLXMLText.tag(name, attributes, close: true), indent)
            return
        }
        line(SBMLXMLText.tag(name, attributes), indent)
        body(&self)
        line("</\(name)>", indent)
    }

    private mutating func list<T>(
        _ name: String, _ items: [T], _ indent: Int,
        _ each: (inout SBMLWriter, T) -> Void
    ) {
        guard !items.isEmpty else { return }
        line("<\(name)>", indent)
        for item in items { each(&self, item) }
        line("</\(name)>", indent)
    }

    private mutating func math(_ e: Expr, boolean: Bool = false, _ indent: Int) {
        MathMLWriter.write(e, boolean: boolean, to: &out, indent: indent)
    }

    private mutating func cascadeMarker(_ marker: String, _ indent: Int) {
        line("<annotation>", indent)
        line("<cascade:\(marker) xmlns:cascade=\"\(SBMLReader.cascadeNamespace)\"/>", indent + 1)
        line("</annotation>", indent)
    }

    private mutating func model(_ m: Model) {
        line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0)
        line("<sbml xmlns=\"\(Self.core)\" level=\"3\" version=\"2\">", 0)
        let attributes: [(String, String?)] = [
            ("id", m.id.isEmpty ? nil : m.id), ("name", m.name), ("substanceUnits", m.substanceUnits),
            ("timeUnits", m.timeUnits), ("volumeUnits", m.volumeUnits), ("extentUnits", m.extentUnits),
            ("conversionFactor", m.conversionFactor),
        ]
        line(SBMLXMLText.tag("model", attributes), 1)
        SBMLNotes.write(notes.model, to: &out, indent: 2)

        list("listOfFunctionDefinitions", m.functions, 2) { w, f in
            w.element("functionDefinition", [("id", f.id)], 3) { w in
                MathMLWriter.writeLambda(arguments: f.arguments, body: f.body, to: &w.out, indent: 4)
            }
        }
        list("listOfUnitDefinitions", m.unitDefinitions, 2) { w, u in
            w.element("unitDefinition", [("id", u.id)], 3) { w in
                w.list("listOfUnits", u.factors, 4) { w, f in
                    w.element(
                        "unit",
                        [
                            ("kind", f.kind), ("exponent", Self.number(f.exponent)),
                            ("scale", String(f.scale)), ("multiplier", Self.number(f.multiplier)),
                        ], 5)
                }
            }
        }
        list("listOfCompartments", m.compartments, 2) { w, c in
            w.noted(
                "compartment", id: c.id,
                [
                    ("id", c.id), ("name", c.name), ("spatialDimensions", Self.number(c.spatialDimensions)),
                    ("size", Self.number(c.size)), ("units", c.units), ("constant", Self.bool(c.constant)),
                ], 3)
        }
        list("listOfSpecies", m.species, 2) { w, s in
            var amount: Double?, concentration: Double?
            switch s.initial {
            case .amount(let v)?: amount = v
            case .concentration(let v)?: concentration = v
            case nil: break
            }
            w.noted(
                "species", id: s.id,
                [
                    ("id", s.id), ("name", s.name), ("compartment", s.compartment),
                    ("initialAmount", Self.number(amount)), ("initialConcentration", Self.number(concentration)),
                    ("substanceUnits", s.units), ("hasOnlySubstanceUnits", Self.bool(s.hasOnlySubstanceUnits)),
                    ("boundaryCondition", Self.bool(s.boundaryCondition)), ("constant", Self.bool(s.constant)),
                    ("conversionFactor", s.conversionFactor),
                ], 3)
        }
        list(
            "listOfParameters",
            m.parameters.map { ($0, false) }
                + m.observables.map {
                    (Parameter(id: $0.id, value: nil, constant: false, name: $0.name), true)
                }, 2
        ) { w, item in
            let (p, isObservable) = item
            let attributes: [(String, String?)] = [
                ("id", p.id), ("name", p.name), ("value", Self.number(p.value)), ("units", p.units),
                ("constant", Self.bool(p.constant)),
            ]
            if isObservable {
                w.element("parameter", attributes, 3) { w in
                    SBMLNotes.write(w.notes.elements[p.id], to: &w.out, indent: 4)
                    w.cascadeMarker("observable", 4)
                }
            } else {
                w.noted("parameter", id: p.id, attributes, 3)
            }
        }
        list("listOfInitialAssignments", m.initialAssignments, 2) { w, ia in
            w.element("initialAssignment", [("symbol", ia.variable)], 3) { w in w.math(ia.math, 4) }
        }
        let rules = m.rules + m.observables.map { Rule.assignment(variable: $0.id, math: $0.math) }
        list("listOfRules", rules, 2) { w, rule in
            switch rule {
            case .assignment(let v, let e):
                w.element("assignmentRule", [("variable", v)], 3) { w in w.math(e, 4) }
            case .rate(let v, let e):
                w.element("rateRule", [("variable", v)], 3) { w in w.math(e, 4) }
            case .algebraic(let e):
                w.element("algebraicRule", [], 3) { w in w.math(e, 4) }
            }
        }
        list("listOfReactions", m.reactions, 2) { w, r in w.reaction(r) }
        list("listOfEvents", m.events, 2) { w, e in w.event(e) }

        line("</model>", 1)
        line("</sbml>", 0)
    }

    private mutating func reaction(_ r: Reaction) {
        element(
            "reaction",
            [
                ("id", r.id), ("name", r.name), ("reversible", Self.bool(r.reversible)),
                ("compartment", r.compartment),
            ], 3
        ) { w in
            SBMLNotes.write(w.notes.elements[r.id], to: &w.out, indent: 4)
            if r.fast { w.cascadeMarker("fast", 4) }
            for (name, references) in [("listOfReactants", r.reactants), ("listOfProducts", r.products)] {
                w.list(name, references, 4) { w, sr in
                    w.element(
                        "speciesReference",
                        [
                            ("id", sr.id), ("species", sr.species), ("stoichiometry", Self.number(sr.stoichiometry)),
                            ("constant", Self.bool(sr.constant)),
                        ], 5)
                }
            }
            w.list("listOfModifiers", r.modifiers, 4) { w, species in
                w.element("modifierSpeciesReference", [("species", species)], 5)
            }
            w.element("kineticLaw", [], 4) { w in
                w.math(r.rate, 5)
                w.list("listOfLocalParameters", r.localParameters, 5) { w, p in
                    w.element(
                        "localParameter",
                        [
                            ("id", p.id), ("name", p.name), ("value", Self.number(p.value)),
                            ("units", p.units),
                        ], 6)
                }
            }
        }
    }

    private mutating func event(_ e: Event) {
        element(
            "event",
            [
                ("id", e.id.isEmpty ? nil : e.id), ("name", e.name),
                ("useValuesFromTriggerTime", Self.bool(e.useValuesFromTriggerTime)),
            ], 3
        ) { w in
            if !e.id.isEmpty { SBMLNotes.write(w.notes.elements[e.id], to: &w.out, indent: 4) }
            w.element(
                "trigger",
                [
                    ("initialValue", Self.bool(e.triggerInitialValue)),
                    ("persistent", Self.bool(e.persistent)),
                ], 4
            ) { w in
                w.math(e.trigger, boolean: true, 5)
            }
            if let p = e.priority {
                w.element("priority", [], 4) { w in w.math(p, 5) }
            }
            if let d = e.delay {
                w.element("delay", [], 4) { w in w.math(d, 5) }
            }
            w.list("listOfEventAssignments", e.assignments, 4) { w, a in
                w.element("eventAssignment", [("variable", a.variable)], 5) { w in w.math(a.math, 6) }
            }
        }
    }
}
