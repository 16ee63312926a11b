import CascadeCore
import Foundation

/// A treatment: a drug applied by the protocol through a model's bath parameter.
public struct Treatment: Hashable, Sendable {
    public var id: String
    /// The model parameter holding its bath concentration (µM).
    public var parameter: String

    /// The canonical treatments of the ketamine model and their bath parameters.
    public static let known: [String: String] = [
        "ketamine": "ketamine_bath", "esketamine": "esketamine_bath", "arketamine": "arketamine_bath",
        "HNK_2R6R": "HNK_bath", "norketamine": "norketamine_bath", "BDNF": "BDNF_bath",
        "memantine": "memantine_bath",
    ]
}

/// The inputs of a screening model that choose one simulation of a screen: the arm (treated or
/// vehicle), the inhibitor concentrations and the treatment concentrations relative to the
/// protocol's. The only place their parameter names are spelled.
///
/// A screening model (see `PlateProtocol.screeningModel`) declares, besides the model's own
/// parameters, `<drug>_dose` (µM, applied at the pre-incubation), `treatment_on` (1 treated, 0
/// vehicle, multiplying every treatment addition) and `<treatment>_scale` (multiplying the
/// protocol's concentration of that treatment), so every arm, condition and dose of an
/// experiment is one compiled model with different inputs.
public struct TreatmentInputs: Hashable, Sendable {
    /// 1 for the treated arm, 0 for vehicle.
    public var arm: Double
    /// Inhibitor concentrations (µM) by inhibitor id.
    public var doses: [String: Double]
    /// Treatment concentrations relative to the protocol's, by treatment id (absent = 1).
    public var scales: [String: Double]

    public init(arm: Double, doses: [String: Double] = [:], scales: [String: Double] = [:]) {
        self.arm = arm
        self.doses = doses
        self.scales = scales
    }

    public init(treated: Bool, doses: [String: Double] = [:]) {
        self.init(arm: treated ? 1 : 0, doses: doses)
    }

    static let armParameter = "treatment_on"
    static func doseParameter(_ drug: String) -> String { "\(drug)_dose" }
    static func scaleParameter(_ treatment: String) -> String { "\(treatment)_scale" }

    /// The simulator inputs.
    public var values: [String: Double] {
        var out = [Self.armParameter: arm]
        for (d, c) in doses { out[Self.doseParameter(d)] = c }
        for (t, s) in scales { out[Self.scaleParameter(t)] = s }
        return out
    }

    /// `values` over other inputs (a variant's parameter values).
    public func values(over base: [String: Double]) -> [String: Double] {
        base.merging(values) { _, b in b }
    }

    /// Whether `id` is one of the dose inputs of `drugs` (not a value a variant may set).
    static func isDose(_ id: String, of drugs: [String]) -> Bool {
        drugs.contains { doseParameter($0) == id }
    }

    /// Declares the inputs in a model: `<drug>_dose` = 0 per drug, `treatment_on` = 1,
    /// `<treatment>_scale` = 1 per treatment.
    static func declare(in m: inout Model, drugs: [String], treatments: [Treatment]) {
        for d in drugs { m.parameters.append(Parameter(id: doseParameter(d), value: 0)) }
        m.parameters.append(Parameter(id: armParameter, value: 1))
        for t in treatments { m.parameters.append(Parameter(id: scaleParameter(t.id), value: 1)) }
    }

    /// The concentration a treatment addition sets: the protocol's, times the scale, times the arm.
    static func addition(_ treatment: String, concentration: Double) -> Expr {
        .number(concentration) * .symbol(scaleParameter(treatment)) * .symbol(armParameter)
    }

    /// The concentration an inhibitor's pre-incubation sets.
    static func dose(_ drug: String) -> Expr { .symbol(doseParameter(drug)) }
}
