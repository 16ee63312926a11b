import CascadeCore
import CascadeSolver
import Foundation

/// The JSON of `cascade_model_info`: what `cascade info` prints, as data.
enum ModelInfo {
    static func json(_ h: ModelHandle) -> String {
        let m = h.model
        let c = h.compiled
        func number(_ v: Double?) -> Any { v.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
        func text(_ s: String?) -> Any { s ?? NSNull() }
        func side(_ refs: [SpeciesReference]) -> [[String: Any]] {
            refs.map { ["species": $0.species, "stoichiometry": $0.stoichiometry] }
        }
        let species: [[String: Any]] = m.species.map { s in
            var initial: Any = NSNull()
            var kind: Any = NSNull()
            switch s.initial {
            case .amount(let v)?: (initial, kind) = (number(v), "amount")
            case .concentration(let v)?: (initial, kind) = (number(v), "concentration")
            case nil: break
            }
            return [
                "id": s.id, "name": text(s.name), "compartment": s.compartment, "initial": initial, "initial_kind": kind,
                "boundary": s.boundaryCondition, "constant": s.constant, "amount_only": s.hasOnlySubstanceUnits, "units": text(s.units),
            ]
        }
        let rules: [[String: Any]] = m.rules.map { r in
            switch r {
            case .assignment(let v, let e): return ["type": "assignment", "variable": v, "math": e.description]
            case .rate(let v, let e): return ["type": "rate", "variable": v, "math": e.description]
            case .algebraic(let e): return ["type": "algebraic", "variable": NSNull(), "math": e.description]
            }
        }
        let root: [String: Any] = [
            "id": m.id, "name": text(m.name), "source": h.name,
            "compartments": m.compartments.map { ["id": $0.id, "size": number($0.size), "constant": $0.constant, "units": text($0.units)] },
            "species": species,
            "parameters": m.parameters.map { ["id": $0.id, "value": number($0.value), "constant": $0.constant, "units": text($0.units)] },
            "reactions": m.reactions.map {
                [
                    "id": $0.id, "reactants": side($0.reactants), "products": side($0.products), "modifiers": $0.modifiers,
                    "reversible": $0.reversible, "rate": $0.rate.description,
                ]
            },
            "rules": rules,
            "initial_assignments": m.initialAssignments.map { ["variable": $0.variable, "math": $0.math.description] },
            "events": m.events.map { e in
                [
                    "id": e.id, "trigger": e.trigger.description, "delay": text(e.delay.map { $0.description }),
                    "assignments": e.assignments.map { ["variable": $0.variable, "math": $0.math.description] },
                ]
            },
            "observables": m.observables.map { ["id": $0.id, "math": $0.math.description] },
            "inputs": zip(c.inputIds, c.nominalInputs).map { ["id": $0, "value": number($1)] },
            "state_variables": c.stateCount,
            "jacobian_nonzeros": c.jacobianNonZeros,
            "conserved_moieties": c.conservationLaws.map(\.description),
            "warnings": c.warnings.map { "\($0)" },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
