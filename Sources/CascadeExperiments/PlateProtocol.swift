import CascadeCore
import Foundation

/// One operation on a plate at a time in the protocol.
public enum PlateOperation: Hashable, Sendable {
    /// The condition's inhibitors go into the well at their screen concentrations.
    case preincubate
    /// A treatment (a model bath parameter) at a concentration in µM.
    case add(treatment: String, concentration: Double)
    /// Treatments (and, when listed, inhibitors) are washed out: their concentrations drop to 0.
    case wash(ids: [String])
    /// Any model parameter set to a value (a documented escape hatch for special protocols).
    case set(parameter: String, value: Double)
}

/// A protocol: plate operations at times (seconds, relative to the treatment at 0).
public struct PlateProtocol: Hashable, Sendable {
    public struct Step: Hashable, Sendable {
        public var time: Double
        public var operation: PlateOperation
        public init(time: Double, _ operation: PlateOperation) {
            self.time = time
            self.operation = operation
        }
    }
    public var steps: [Step]

    public init(steps: [Step]) { self.steps = steps.sorted { $0.time < $1.time } }

    /// The standard plate protocol: pre-incubate inhibitors 30 min before 1 µM ketamine, wash
    /// the ketamine out at 1 h.
    public static let standard = PlateProtocol(steps: [
        Step(time: -1800, .preincubate),
        Step(time: 0, .add(treatment: "ketamine", concentration: 1)),
        Step(time: 3600, .wash(ids: ["ketamine"])),
    ])

    public var firstTime: Double { steps.first?.time ?? 0 }
}

extension PlateProtocol {
    /// The screening model of an experiment: its model with the line's and the experiment's
    /// values set, the `drugs` wired onto their hooks, the treatment inputs declared (see
    /// `TreatmentInputs`) and the protocol compiled into events whose values are those inputs, so
    /// every condition and both arms are the same compiled model with different inputs.
    public static func screeningModel(_ e: Experiment, drugs: [String]) throws -> Model {
        var m = e.model
        let values = (e.line?.values ?? [:]).merging(e.parameters) { _, b in b }
        for (id, v) in values.sorted(by: { $0.key < $1.key }) {
            if let k = m.parameters.firstIndex(where: { $0.id == id }) { m.parameters[k].value = v }
            else if let k = m.species.firstIndex(where: { $0.id == id }) {
                m.species[k].initial = m.species[k].initial.map { q in
                    if case .amount = q { return .amount(v) } else { return .concentration(v) }
                } ?? .concentration(v)
            } else if let k = m.compartments.firstIndex(where: { $0.id == id }) { m.compartments[k].size = v }
        }
        m = try e.panel.apply(drugs, to: m)
        TreatmentInputs.declare(in: &m, drugs: drugs, treatments: e.treatments)
        var events: [ProtocolCompiler.Step] = []
        for (i, step) in e.protocolSteps.steps.enumerated() {
            var assignments: [EventAssignment] = []
            switch step.operation {
            case .preincubate:
                for d in drugs {
                    assignments.append(EventAssignment(variable: e.panel[d]!.concentrationParameter, math: TreatmentInputs.dose(d)))
                }
            case .add(let t, let c):
                let p = e.treatments.first { $0.id == t }!.parameter
                assignments.append(EventAssignment(variable: p, math: TreatmentInputs.addition(t, concentration: c)))
            case .wash(let ids):
                for id in ids {
                    if let t = e.treatments.first(where: { $0.id == id }) {
                        assignments.append(EventAssignment(variable: t.parameter, math: 0))
                    } else {
                        let washed = id == "inhibitors" ? drugs : drugs.filter { $0 == id }
                        for d in washed { assignments.append(EventAssignment(variable: e.panel[d]!.concentrationParameter, math: 0)) }
                    }
                }
            case .set(let p, let v):
                assignments.append(EventAssignment(variable: p, math: .number(v)))
            }
            guard !assignments.isEmpty else { continue }
            events.append(.init(id: "protocol_step_\(i)", time: step.time, assignments: assignments))
        }
        if let unknown = ProtocolCompiler.unknownTarget(events, in: m) {
            throw InputError(file: e.file, field: "protocol", message: "a step sets '\(unknown.variable)', which is not in model '\(m.id)'")
        }
        ProtocolCompiler.add(events, to: &m)
        return m
    }
}
