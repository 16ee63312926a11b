import CascadeCore
import Foundation

/// One operation on a plate at a time in the protocol.
public enum PlateOperation: Hashable, Sendable {
    /// The condition's inhibitors go into the well at their screen concentrations.
    case preincubate
    /// A treatment (a model bath parameter) at a concentration in µM.
    case add(treatment: String, concentration: Double)
    /// One inhibitor added on its own (instead of at the pre-incubation), at the condition's
    /// concentration, or at the given one (µM) in every condition that has the inhibitor.
    case addInhibitor(id: String, concentration: Double?)
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
            if let k = m.parameters.firstIndex(where: { $0.id == id }) {
                m.parameters[k].value = v
            } else if let k = m.species.firstIndex(where: { $0.id == id }) {
                m.species[k].initial =
                    m.species[k].initial.map { q in
                        if case .amount = q { return .amount(v) } else { return .concentration(v) }
                    } ?? .concentration(v)
            } else if let k = m.compartments.firstIndex(where: { $0.id == id }) {
                m.compartments[k].size = v
            }
        }
        m = try e.panel.apply(drugs, to: m)
        TreatmentInputs.declare(in: &m, drugs: drugs, treatments: e.treatments)
        var events: [ProtocolCompiler.Step] = []
        let addedOnItsOwn = Set(
            e.protocolSteps.steps.compactMap { s -> String? in
                if case .addInhibitor(let id, _) = s.operation { return id } else { return nil }
            })
        for (i, step) in e.protocolSteps.steps.enumerated() {
            var assignments: [EventAssignment] = []
            switch step.operation {
            case .preincubate:
                for d in drugs where !addedOnItsOwn.contains(d) {
                    assignments.append(EventAssignment(variable: e.panel[d]!.concentrationParameter, math: TreatmentInputs.dose(d)))
                }
            case .addInhibitor(let d, let c):
                guard drugs.contains(d) else { break }
                let dose = TreatmentInputs.dose(d)
                assignments.append(
                    EventAssignment(
                        variable: e.panel[d]!.concentrationParameter,
                        math: c.map { .number($0) * .apply(.gt, [dose, 0]) } ?? dose))
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

extension PlateProtocol {
    /// The screening model (see `screeningModel`) on a clock that starts with the settling:
    /// model time 0 is `settle` before the protocol's first step, and a time `t` relative to the
    /// treatment is model time `t + offset`. For tools that start every simulation at 0 (PEtab,
    /// sensitivities), so one run settles the untreated culture and then runs the protocol.
    public static func settledScreeningModel(_ e: Experiment, drugs: [String]) throws -> (model: Model, offset: Double) {
        let offset = e.settle - e.protocolSteps.firstTime
        var shifted = e
        shifted.protocolSteps = PlateProtocol(steps: e.protocolSteps.steps.map { Step(time: $0.time + offset, $0.operation) })
        return (try screeningModel(shifted, drugs: drugs), offset)
    }

    /// One condition of an experiment's screen on the settled clock (see
    /// `settledScreeningModel`): the model with the condition's own steps added to the protocol,
    /// and the inputs of its vehicle and treated arms (inhibitor doses, treatment scales), as the
    /// knockout screen runs it.
    public static func settledRun(_ e: Experiment, condition c: Condition) throws -> (
        model: Model, offset: Double, vehicle: [String: Double], treated: [String: Double]
    ) {
        var withSteps = e
        withSteps.protocolSteps = PlateProtocol(steps: e.protocolSteps.steps + c.steps)
        let (model, offset) = try settledScreeningModel(withSteps, drugs: c.inhibitors.keys.sorted())
        let scales = e.treatmentScales(c)
        return (
            model, offset, TreatmentInputs(arm: 0, doses: c.inhibitors, scales: scales).values,
            TreatmentInputs(arm: 1, doses: c.inhibitors, scales: scales).values
        )
    }
}

/// Reads protocol steps, checking every id against the model, the inhibitor panel and the
/// treatments added so far.
///
///     - {at: -30 min, preincubate: inhibitors}        # every inhibitor of the condition not added on its own
///     - {at: 0, add: ketamine, concentration: 1 uM}   # a treatment
///     - {at: 2 h, add: rapamycin}                     # an inhibitor on its own, at the condition's concentration
///     - {at: 2 h, add: rapamycin, concentration: 20 nM}
///     - {at: 1 h, wash: [ketamine]}                   # treatments and inhibitors by id, or `inhibitors`
///     - {at: 0, set: in_vivo, value: 1}               # any model parameter
struct ProtocolReader {
    let model: Model
    let panel: InhibitorPanel
    private(set) var treatments: [Treatment] = []
    /// When each treatment or inhibitor was last added.
    private var added: [String: Double] = [:]

    init(model: Model, panel: InhibitorPanel) {
        self.model = model
        self.panel = panel
    }

    static let keys: Set<String> = ["at", "preincubate", "add", "concentration", "wash", "set", "value"]

    /// The steps of a protocol list. With `addsTreatments: false` (a condition's own steps) a
    /// treatment not added by the experiment's protocol is an error.
    mutating func read(_ list: YAMLValue, addsTreatments: Bool = true) throws -> [PlateProtocol.Step] {
        var steps: [PlateProtocol.Step] = []
        for s in try list.list() {
            try s.allowOnly(Self.keys)
            let time = try Units.signedSeconds(try s.required("at"))
            let kinds = ["preincubate", "add", "wash", "set"].filter { s[$0] != nil }
            guard kinds.count == 1 else { throw s.error("each step needs exactly one of preincubate, add, wash or set") }
            switch kinds[0] {
            case "preincubate":
                steps.append(.init(time: time, .preincubate))
            case "add":
                steps.append(try add(s, time: time, addsTreatments: addsTreatments))
            case "wash":
                let node = try s.required("wash")
                let ids = try node.listOrSingle().map { try $0.string() }
                for id in ids where added[id] == nil && panel[id] == nil && id != "inhibitors" {
                    throw node.error("'\(id)' is washed out before it was added")
                }
                for id in ids where added[id] != nil && added[id]! > time {
                    throw node.error("'\(id)' is washed out at \(time) s, before it is added at \(added[id]!) s")
                }
                steps.append(.init(time: time, .wash(ids: ids)))
            default:
                let pNode = try s.required("set")
                let p = try pNode.string()
                guard model.parameter(p) != nil else {
                    throw pNode.error("unknown parameter '\(p)' in model '\(model.id)'\(didYouMean(p, model.parameters.map(\.id)))")
                }
                steps.append(.init(time: time, .set(parameter: p, value: try s.required("value").double())))
            }
        }
        return steps
    }

    private mutating func add(_ s: YAMLValue, time: Double, addsTreatments: Bool) throws -> PlateProtocol.Step {
        let idNode = try s.required("add")
        let id = try idNode.string()
        if Treatment.known[id] == nil, panel[id] != nil {
            let c = try s["concentration"]?.concentration()
            if let c, !(c > 0) { throw try s.required("concentration").error("the concentration must be positive") }
            added[id] = time
            return .init(time: time, .addInhibitor(id: id, concentration: c))
        }
        guard let parameter = Treatment.known[id] ?? (model.parameter(id) != nil ? id : nil) else {
            let names = Array(Treatment.known.keys) + panel.inhibitors.map(\.id)
            throw idNode.error(
                "unknown treatment '\(id)' (known: \(Treatment.known.keys.sorted().joined(separator: ", ")), an inhibitor of the panel, or a model parameter)\(didYouMean(id, names))"
            )
        }
        guard model.parameter(parameter) != nil else {
            throw idNode.error("treatment '\(id)' needs parameter '\(parameter)', which model '\(model.id)' lacks")
        }
        let c = try s.required("concentration").concentration()
        if !treatments.contains(where: { $0.id == id }) {
            guard addsTreatments else { throw idNode.error("'\(id)' is not added by the experiment's protocol; add it there") }
            treatments.append(Treatment(id: id, parameter: parameter))
        }
        added[id] = time
        return .init(time: time, .add(treatment: id, concentration: c))
    }
}

/// ` (did you mean 'X'?)` when an id is close to one of `candidates`, else empty.
func didYouMean(_ typed: String, _ candidates: [String]) -> String {
    let s = Spelling.suggestions(for: typed, among: candidates)
    return s.isEmpty ? "" : " (did you mean " + s.map { "'\($0)'" }.joined(separator: " or ") + "?)"
}
