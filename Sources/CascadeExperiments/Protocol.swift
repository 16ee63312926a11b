import CascadeCore
import Foundation

/// A treatment protocol: timed operations on a model's parameters ("set `ketamine_bath` to 1 at
/// 0 s, to 0 at 3600 s"), plus values held for the whole run (mode switches, genotypes).
///
/// A protocol is applied to a `Model` by adding one SBML-style event per step, triggered by
/// `time >= t` with `triggerInitialValue = false` (a step at the start time fires at the start),
/// so the protocol is part of the model and exports to SBML with it.
///
///     let p = TreatmentProtocol(name: "plate", steps: [
///         .init(time: 0, parameter: "ketamine_bath", value: 1),
///         .init(time: 3600, parameter: "ketamine_bath", value: 0)])
///     let applied = try p.applied(to: model)            // literal values in the events
///     let compiled = try CompiledModel(applied.model)
///
/// With `parameterised: true` each step's value is a new parameter (its id in
/// `AppliedProtocol.valueParameters`), so one compiled model serves many variants of the
/// protocol (vehicle, doses) through the simulator's inputs.
public struct TreatmentProtocol: Hashable, Sendable {
    /// One timed operation: at `time` (seconds), set `parameter` to `value`.
    public struct Step: Hashable, Sendable {
        public var time: Double
        public var parameter: String
        public var value: Double
        public init(time: Double, parameter: String, value: Double) {
            self.time = time
            self.parameter = parameter
            self.value = value
        }
    }

    public var name: String
    public var description: String
    /// Timed operations, in any order (applied in time order; equal times in the given order).
    public var steps: [Step]
    /// Values held from the start of the simulation (inputs), e.g. `in_vivo: 1`.
    public var settings: [String: Double]

    /// The canonical treatment parameters of the ketamine model: a vehicle run sets them to 0.
    public static let treatmentParameters: Set<String> = [
        "ketamine_bath", "esketamine_bath", "arketamine_bath", "norketamine_bath", "HNK_bath",
        "BDNF_bath", "infusion_rate", "ip_dose_rate", "memantine_bath",
    ]

    public init(name: String, description: String = "", steps: [Step], settings: [String: Double] = [:]) {
        self.name = name
        self.description = description
        self.steps = steps
        self.settings = settings
    }

    /// The steps in the order they are applied.
    public var orderedSteps: [Step] {
        steps.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The same protocol with every step on a treatment parameter setting it to 0 instead.
    public func vehicle(treatments: Set<String> = TreatmentProtocol.treatmentParameters) -> TreatmentProtocol {
        var v = self
        v.name = name + "_vehicle"
        v.steps = steps.map { s in
            treatments.contains(s.parameter) ? Step(time: s.time, parameter: s.parameter, value: 0) : s
        }
        return v
    }

    /// This protocol with more steps (e.g. an inhibitor on at -30 min and off at washout).
    public func adding(_ more: [Step]) -> TreatmentProtocol {
        var p = self
        p.steps += more
        return p
    }

    /// The time of the earliest step, or nil without steps.
    public var firstStepTime: Double? { steps.map(\.time).min() }

    /// Adds the protocol's events (and, when parameterised, one value parameter per step) to a
    /// copy of the model. Targets are made non-constant. Throws when a step names an id that is
    /// not a parameter, compartment or species of the model, or a time or value is not finite.
    public func applied(to model: Model, parameterised: Bool = false) throws -> AppliedProtocol {
        var m = model
        var valueParameters: [String] = []
        let prefix = "protocol_" + TreatmentProtocol.sanitise(name)
        var taken = Set(m.allIds.map(\.id))
        func fresh(_ base: String) -> String {
            var id = base
            var k = 2
            while taken.contains(id) {
                id = "\(base)_\(k)"
                k += 1
            }
            taken.insert(id)
            return id
        }
        var events: [ProtocolCompiler.Step] = []
        for (i, step) in orderedSteps.enumerated() {
            guard step.time.isFinite else { throw ProtocolError("\(name): step \(i + 1) has a time that is not finite") }
            guard step.value.isFinite else { throw ProtocolError("\(name): step \(i + 1) sets '\(step.parameter)' to a value that is not finite") }
            let value: Expr
            if parameterised {
                let pid = fresh("\(prefix)_v\(i + 1)")
                m.parameters.append(Parameter(id: pid, value: step.value))
                valueParameters.append(pid)
                value = .symbol(pid)
            } else {
                value = .number(step.value)
            }
            events.append(
                .init(
                    id: fresh("\(prefix)_step\(i + 1)"), time: step.time,
                    assignments: [EventAssignment(variable: step.parameter, math: value)],
                    name: "\(name): \(step.parameter) = \(step.value) at \(step.time) s"))
        }
        if let unknown = ProtocolCompiler.unknownTarget(events, in: m) {
            throw ProtocolError(
                "\(name): step \(unknown.step + 1) sets '\(unknown.variable)', which is not a parameter, species or compartment of model '\(model.id)'")
        }
        ProtocolCompiler.add(events, to: &m)
        return AppliedProtocol(model: m, steps: orderedSteps, valueParameters: valueParameters)
    }

    static func sanitise(_ s: String) -> String {
        let out = String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" })
        return out.isEmpty ? "p" : out
    }

    // MARK: Times

    /// Seconds from a time written as a number (seconds) or as "30 min", "2 h", "3 d", "90 s",
    /// "1.5 hours", "-30 min" (see `Units.seconds`). Returns nil for anything else.
    public static func seconds(from text: String) -> Double? { Units.seconds(text) }

    /// A short human form of a time in seconds: "30 min", "2 h", "3 d", "45 s".
    public static func describe(seconds t: Double) -> String {
        func num(_ v: Double) -> String {
            v == v.rounded() ? String(Int(v)) : String(format: "%.3g", v)
        }
        let a = abs(t)
        if a >= 86400, (t / 86400 * 4).rounded() == t / 86400 * 4 { return num(t / 86400) + " d" }
        if a >= 3600, (t / 3600 * 4).rounded() == t / 3600 * 4 { return num(t / 3600) + " h" }
        if a >= 60, (t / 60).rounded() == t / 60 { return num(t / 60) + " min" }
        return num(t) + " s"
    }
}

/// The one place a protocol becomes model events: each step is an event triggered by
/// `time >= t`, false at the start (so a step at the simulation's start time fires at the start),
/// persistent, assigning its values; every variable a step assigns becomes non-constant.
enum ProtocolCompiler {
    struct Step {
        var id: String
        var time: Double
        var assignments: [EventAssignment]
        var name: String?
    }

    /// The first step (index) assigning a variable that is not a parameter, species or compartment.
    static func unknownTarget(_ steps: [Step], in m: Model) -> (step: Int, variable: String)? {
        for (i, s) in steps.enumerated() {
            for a in s.assignments where m.parameter(a.variable) == nil && m.species(a.variable) == nil && m.compartment(a.variable) == nil {
                return (i, a.variable)
            }
        }
        return nil
    }

    /// Appends the steps' events, in order, and makes their targets non-constant.
    static func add(_ steps: [Step], to m: inout Model) {
        for s in steps {
            for a in s.assignments {
                if let j = m.parameters.firstIndex(where: { $0.id == a.variable }) {
                    m.parameters[j].constant = false
                } else if let j = m.species.firstIndex(where: { $0.id == a.variable }) {
                    m.species[j].constant = false
                } else if let j = m.compartments.firstIndex(where: { $0.id == a.variable }) {
                    m.compartments[j].constant = false
                }
            }
            m.events.append(
                Event(
                    id: s.id, trigger: .apply(.ge, [.time, .number(s.time)]), assignments: s.assignments,
                    triggerInitialValue: false, persistent: true, useValuesFromTriggerTime: true, name: s.name))
        }
    }
}

/// A model with a protocol's events added.
public struct AppliedProtocol: Hashable, Sendable {
    public var model: Model
    /// The steps in the order their events were added.
    public var steps: [TreatmentProtocol.Step]
    /// For a parameterised protocol, the id of the value parameter of each step (same order).
    public var valueParameters: [String]

    /// Inputs that give each step of a parameterised protocol the value of the matching step of
    /// `variant` (a protocol with the same steps in the same order, e.g. `vehicle()`).
    public func inputs(for variant: TreatmentProtocol) throws -> [String: Double] {
        let vs = variant.orderedSteps
        guard vs.count == steps.count, !valueParameters.isEmpty || steps.isEmpty else {
            throw ProtocolError("protocol variant '\(variant.name)' does not match the applied protocol's steps")
        }
        var out: [String: Double] = [:]
        for (i, s) in vs.enumerated() {
            guard s.parameter == steps[i].parameter, s.time == steps[i].time else {
                throw ProtocolError("protocol variant '\(variant.name)': step \(i + 1) differs in time or target")
            }
            out[valueParameters[i]] = s.value
        }
        return out
    }
}

/// A problem with a protocol or a scorecard file, as one readable sentence.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
