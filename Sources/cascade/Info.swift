import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: species, parameters, reactions, rules, events, conserved moieties, warnings.")

    @Argument(help: "The model file (.ant or .xml).") var model: String

    func run() throws {
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        var out = "model \(m.id)\(m.name.map { " (\($0))" } ?? "")\n"
        func unit(_ u: String?) -> String { u.map { " " + $0 } ?? "" }
        let modelUnits = [
            ("substance", m.substanceUnits), ("time", m.timeUnits), ("volume", m.volumeUnits),
            ("extent", m.extentUnits),
        ].compactMap { k, u in u.map { "\(k) \($0)" } }
        if !m.unitDefinitions.isEmpty || !modelUnits.isEmpty {
            out += "\nunits: \(m.unitDefinitions.count)\n"
            if !modelUnits.isEmpty { out += "  model: \(modelUnits.joined(separator: ", "))\n" }
            for u in m.unitDefinitions { out += "  \(u.id) = \(describeUnit(u))\n" }
        }
        out += "\ncompartments: \(m.compartments.count)\n"
        for c in m.compartments {
            out += "  \(c.id) = \(c.size.map(formatNumber) ?? "(assigned)")\(unit(c.units))\(c.constant ? "" : " (variable)")\n"
        }
        out += "\nspecies: \(m.species.count)\n"
        for s in m.species {
            var flags: [String] = []
            if s.boundaryCondition { flags.append("boundary") }
            if s.constant { flags.append("constant") }
            if s.hasOnlySubstanceUnits { flags.append("amount only") }
            let initial: String
            switch s.initial {
            case .amount(let v)?: initial = "amount \(formatNumber(v))"
            case .concentration(let v)?: initial = "concentration \(formatNumber(v))"
            case nil: initial = "(assigned)"
            }
            out += "  \(s.id) in \(s.compartment): \(initial)\(unit(s.units))\(flags.isEmpty ? "" : " [" + flags.joined(separator: ", ") + "]")\n"
        }
        out += "\nparameters: \(m.parameters.count)\n"
        for p in m.parameters {
            out += "  \(p.id) = \(p.value.map(formatNumber) ?? "(assigned)")\(unit(p.units))\(p.constant ? "" : " (variable)")\n"
        }
        out += "\nreactions: \(m.reactions.count)\n"
        for r in m.reactions {
            func side(_ refs: [SpeciesReference]) -> String {
                refs.map { ($0.stoichiometry == 1 ? "" : formatNumber($0.stoichiometry) + " ") + $0.species }.joined(separator: " + ")
            }
            out += "  \(r.id): \(side(r.reactants)) \(r.reversible ? "->" : "=>") \(side(r.products)); \(r.rate)\n"
        }
        if !m.rules.isEmpty {
            out += "\nrules: \(m.rules.count)\n"
            for rule in m.rules {
                switch rule {
                case .assignment(let v, let e): out += "  \(v) := \(e)\n"
                case .rate(let v, let e): out += "  \(v)' = \(e)\n"
                case .algebraic(let e): out += "  0 = \(e)\n"
                }
            }
        }
        if !m.initialAssignments.isEmpty {
            out += "\ninitial assignments: \(m.initialAssignments.count)\n"
            for ia in m.initialAssignments { out += "  \(ia.variable) = \(ia.math)\n" }
        }
        if !m.events.isEmpty {
            out += "\nevents: \(m.events.count)\n"
            for e in m.events {
                let delay = e.delay.map { " after \($0)" } ?? ""
                let assigns = e.assignments.map { "\($0.variable) = \($0.math)" }.joined(separator: ", ")
                out += "  \(e.id): at \(e.trigger)\(delay): \(assigns)\n"
            }
        }
        out += "\nstate variables: \(compiled.stateCount); Jacobian non-zeros: \(compiled.jacobianNonZeros)\n"
        if compiled.isDifferentialAlgebraic {
            let algebraic = zip(compiled.stateIds, compiled.algebraicStates).filter(\.1).map(\.0)
            out += "differential-algebraic (IDA): algebraic rules determine \(algebraic.joined(separator: ", "))\n"
        }
        out += "\nconserved moieties: \(compiled.conservationLaws.count)\n"
        for law in compiled.conservationLaws { out += "  \(law)\n" }
        out += "\nwarnings: \(compiled.warnings.count)\n"
        for w in compiled.warnings { out += "  \(w)\n" }
        try writeOutput(out, to: nil)
    }

    /// A unit definition as a product of its factors: `1e-06 mole · litre^-1`.
    func describeUnit(_ u: UnitDefinition) -> String {
        let factors =
            u.factors.count > 1
            ? u.factors.filter { !($0.kind == "dimensionless" && $0.multiplier == 1 && $0.scale == 0) } : u.factors
        let parts = factors.map { f -> String in
            var s = ""
            if f.multiplier != 1 { s += formatNumber(f.multiplier) + " " }
            if f.scale != 0 { s += "10^\(f.scale) " }
            s += f.kind
            if f.exponent != 1 {
                s += "^" + (f.exponent == f.exponent.rounded() && abs(f.exponent) < 1e6 ? String(Int(f.exponent)) : formatNumber(f.exponent))
            }
            return s
        }
        return parts.isEmpty ? "dimensionless" : parts.joined(separator: " · ")
    }
}
