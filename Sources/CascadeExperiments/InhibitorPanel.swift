import CascadeCore
import Foundation

/// A drug that acts on a model through its pharmacology hooks: parameters of the model that hold
/// a fractional inhibition (0 = none, 1 = complete) or a potentiation gain (0 = none).
///
/// The model stays pure biology; the panel maps each drug onto hooks:
/// - `occupancy`: occupancy = cⁿ / (cⁿ + IC50ⁿ), instant (equilibrium) with the bath concentration.
/// - `kinetics`: d occupancy/dt = kon·c·(1 − occupancy) − koff·occupancy, for drugs whose wash-in or
///   washout is slow compared with the protocol.
/// A hook's value is the combined effect of every drug on it: for inhibition, independent action
/// (1 − Π(1 − maxᵢ·occᵢ)); for potentiation, the sum of maxᵢ·occᵢ.
public struct Inhibitor: Hashable, Sendable {
    public enum Mechanism: Hashable, Sendable {
        case occupancy(ic50: Double, hill: Double)
        /// kon in per µM per second, koff in per second.
        case kinetics(kon: Double, koff: Double)
    }
    public struct Target: Hashable, Sendable {
        /// The model parameter acted on.
        public var hook: String
        /// The effect at full occupancy (fraction for inhibition, gain for potentiation).
        public var maxEffect: Double
        public var potentiates: Bool
    }
    public var id: String
    public var name: String
    public var targets: [Target]
    public var mechanism: Mechanism
    /// Typical working concentration on plates, µM.
    public var typical: Double
    public var source: String
    public var confidence: String

    /// The model parameter holding this drug's bath concentration (µM), set by protocols.
    public var concentrationParameter: String { "\(id)_conc" }
    /// The model variable holding this drug's occupancy of its target(s).
    public var occupancyVariable: String { "\(id)_occupancy" }

    /// Equilibrium occupancy at a concentration (µM).
    public func occupancy(at c: Double) -> Double {
        switch mechanism {
        case .occupancy(let ic50, let n):
            return c <= 0 ? 0 : pow(c, n) / (pow(c, n) + pow(ic50, n))
        case .kinetics(let kon, let koff):
            return c <= 0 ? 0 : kon * c / (kon * c + koff)
        }
    }
}

/// The inhibitor panel: every drug the experiments may put on a plate.
public struct InhibitorPanel: Sendable {
    public var inhibitors: [Inhibitor]
    public var file: String

    public subscript(_ id: String) -> Inhibitor? { inhibitors.first { $0.id == id } }

    /// Reads `models/inhibitors.yaml`:
    ///
    ///     inhibitors:
    ///       NBQX:
    ///         name: NBQX (AMPA/kainate receptor antagonist)
    ///         targets: [{hook: f_AMPAR, max: 1}]
    ///         mechanism: occupancy
    ///         ic50: 0.15 uM
    ///         hill: 1
    ///         typical: 10 uM
    ///         source: "..."
    ///         confidence: recalled
    public static func load(_ url: URL) throws -> InhibitorPanel {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["inhibitors"])
        var out: [Inhibitor] = []
        for (id, v) in try root.required("inhibitors").entries() {
            try v.allowOnly(["name", "targets", "mechanism", "ic50", "hill", "kon", "koff", "typical", "source", "confidence", "note"])
            var targets: [Inhibitor.Target] = []
            for t in try v.required("targets").list() {
                try t.allowOnly(["hook", "max", "potentiates"])
                let maxEffect = try t["max"]?.double() ?? 1
                let potentiates = try t["potentiates"]?.bool() ?? false
                if !potentiates && !(maxEffect > 0 && maxEffect <= 1) {
                    throw (t["max"] ?? t).error("an inhibitor's maximal effect must be in (0, 1], got \(maxEffect)")
                }
                targets.append(.init(hook: try t.required("hook").string(), maxEffect: maxEffect, potentiates: potentiates))
            }
            if targets.isEmpty { throw v.error("an inhibitor needs at least one target") }
            let mechanismNode = try v.required("mechanism")
            let mechanism: Inhibitor.Mechanism
            switch try mechanismNode.string() {
            case "occupancy":
                let ic50 = try v.required("ic50").concentration()
                guard ic50 > 0 else { throw try v.required("ic50").error("IC50 must be positive") }
                let hill = try v["hill"]?.double() ?? 1
                guard hill > 0 else { throw try v.required("hill").error("the Hill coefficient must be positive") }
                mechanism = .occupancy(ic50: ic50, hill: hill)
            case "kinetics":
                let kon = try v.required("kon").double(), koff = try v.required("koff").double()
                guard kon > 0 else { throw try v.required("kon").error("kon must be positive") }
                guard koff > 0 else { throw try v.required("koff").error("koff must be positive") }
                mechanism = .kinetics(kon: kon, koff: koff)
            case let other:
                throw mechanismNode.error("unknown mechanism '\(other)' (occupancy or kinetics)")
            }
            let source = try v.required("source").string()
            if source.trimmingCharacters(in: .whitespaces).isEmpty { throw v.error("every inhibitor needs a source") }
            out.append(
                Inhibitor(
                    id: id, name: try v["name"]?.string() ?? id, targets: targets, mechanism: mechanism,
                    typical: try v.required("typical").concentration(), source: source,
                    confidence: try v.required("confidence").string()))
        }
        return InhibitorPanel(inhibitors: out, file: url.path)
    }

    /// Checks every hook exists in the model as a constant parameter.
    public func check(against model: Model) throws {
        let rules = Set(model.rules.compactMap(\.variable))
        for i in inhibitors {
            for t in i.targets {
                guard let p = model.parameter(t.hook) else {
                    throw InputError(file: file, field: "inhibitors.\(i.id).targets", message: "hook '\(t.hook)' is not a parameter of model '\(model.id)'")
                }
                if rules.contains(p.id) {
                    throw InputError(file: file, field: "inhibitors.\(i.id).targets", message: "hook '\(t.hook)' is already set by a rule in the model")
                }
            }
        }
    }

    /// The model with the given drugs wired onto their hooks: for each drug a concentration
    /// parameter (`<id>_conc`, µM, 0 until a protocol sets it) and an occupancy; each hook
    /// becomes an assignment rule combining the drugs acting on it (added to its nominal value).
    public func apply(_ drugs: [String], to model: Model) throws -> Model {
        var m = model
        var onHook: [String: [(Inhibitor, Inhibitor.Target)]] = [:]
        var hookOrder: [String] = []
        for id in drugs {
            guard let drug = self[id] else {
                throw InputError(
                    file: file, field: "inhibitors", message: "unknown inhibitor '\(id)' (the panel has: \(inhibitors.map(\.id).joined(separator: ", ")))")
            }
            if m.parameter(drug.concentrationParameter) != nil { continue }
            m.parameters.append(Parameter(id: drug.concentrationParameter, value: 0, constant: false))
            let c = Expr.symbol(drug.concentrationParameter)
            switch drug.mechanism {
            case .occupancy(let ic50, let n):
                m.parameters.append(Parameter(id: drug.occupancyVariable, value: nil, constant: false))
                let cn: Expr = n == 1 ? c : .pow(c, .number(n))
                let kn: Expr = n == 1 ? .number(ic50) : .number(pow(ic50, n))
                m.rules.append(.assignment(variable: drug.occupancyVariable, math: cn / (cn + kn)))
            case .kinetics(let kon, let koff):
                m.parameters.append(Parameter(id: drug.occupancyVariable, value: 0, constant: false))
                let occ = Expr.symbol(drug.occupancyVariable)
                m.rules.append(
                    .rate(
                        variable: drug.occupancyVariable,
                        math: .number(kon) * c * (1 - occ) - .number(koff) * occ))
            }
            for t in drug.targets {
                if onHook[t.hook] == nil { hookOrder.append(t.hook) }
                onHook[t.hook, default: []].append((drug, t))
            }
        }
        for hook in hookOrder {
            guard let k = m.parameters.firstIndex(where: { $0.id == hook }) else {
                throw InputError(file: file, field: "inhibitors", message: "hook '\(hook)' is not a parameter of model '\(model.id)'")
            }
            let base = m.parameters[k].value ?? 0
            let actions = onHook[hook]!
            let effect: Expr
            if actions.allSatisfy({ $0.1.potentiates }) {
                effect = actions.map { .number($0.1.maxEffect) * .symbol($0.0.occupancyVariable) }.reduce(Expr.number(0)) { $0 + $1 }
            } else {
                // Independent action: the fraction left uninhibited multiplies.
                let remaining = actions.map { (1 - .number($0.1.maxEffect) * .symbol($0.0.occupancyVariable)) as Expr }
                let product = remaining.dropFirst().reduce(remaining[0]) { $0 * $1 }
                effect = 1 - product
            }
            m.parameters[k].constant = false
            m.parameters[k].value = nil
            m.rules.append(.assignment(variable: hook, math: base == 0 ? effect : .number(base) + effect))
        }
        return m
    }
}
