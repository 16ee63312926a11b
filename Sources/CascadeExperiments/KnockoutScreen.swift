import CascadeCore
import CascadeSolver
import Foundation

/// One readout at one time under one condition: ketamine vs vehicle.
public struct Effect: Hashable, Sendable {
    public enum Call: String, Hashable, Sendable { case changed, partial, blocked, unchanged }
    public var readout: String
    /// Seconds after the treatment.
    public var time: Double
    public var vehicle: Double
    public var treated: Double
    /// log2(treated / vehicle); nil when either is not positive.
    public var log2fc: Double?
    /// The share of the uninhibited effect (log2 fold change) retained; nil when the uninhibited
    /// effect is below the detection threshold.
    public var retained: Double?
    public var call: Call
}

/// The screen's results for one condition.
public struct ConditionResult: Sendable {
    public var condition: Condition
    public var effects: [Effect]
    /// The trajectories behind the effects: rows are `ScreenResult.trajectoryTimes`, columns readouts.
    public var vehicle: [[Double]]
    public var treated: [[Double]]
    /// Why the condition could not be simulated, if it failed.
    public var failure: String?
}

public struct ScreenResult: Sendable {
    public var readouts: [String]
    /// Readout times (seconds after the treatment).
    public var times: [Double]
    /// Times of the stored trajectories: the readout times and any plotting times.
    public var trajectoryTimes: [Double]
    public var conditions: [ConditionResult]
    public var simulations: Int
    /// Wall time of the whole screen, and of compiling its model (the rest is simulation).
    public var seconds: Double
    public var compileSeconds: Double = 0
}

/// The knockout screen: for every condition, ketamine vs vehicle under the same inhibitors.
///
/// The model is compiled once: the panel's drugs are wired onto their hooks and the protocol
/// becomes time events whose values are inputs (`<drug>_dose`, `treatment_on`), so every
/// condition and both arms are the same compiled model with different inputs.
public enum KnockoutScreen {
    /// The screening model and the names of its dose inputs.
    public static func screeningModel(_ e: Experiment, drugs: [String]) throws -> Model {
        var m = e.model
        let values = (e.line?.values ?? [:]).merging(e.parameters) { _, b in b }
        if !values.isEmpty {
            for (id, v) in values.sorted(by: { $0.key < $1.key }) {
                if let k = m.parameters.firstIndex(where: { $0.id == id }) { m.parameters[k].value = v }
                else if let k = m.species.firstIndex(where: { $0.id == id }) {
                    m.species[k].initial = m.species[k].initial.map { q in
                        if case .amount = q { return .amount(v) } else { return .concentration(v) }
                    } ?? .concentration(v)
                } else if let k = m.compartments.firstIndex(where: { $0.id == id }) { m.compartments[k].size = v }
            }
        }
        m = try e.panel.apply(drugs, to: m)
        for d in drugs { m.parameters.append(Parameter(id: "\(d)_dose", value: 0)) }
        m.parameters.append(Parameter(id: "treatment_on", value: 1))
        for t in e.treatments { m.parameters.append(Parameter(id: "\(t.id)_scale", value: 1)) }
        func makeVariable(_ id: String) {
            if let k = m.parameters.firstIndex(where: { $0.id == id }) { m.parameters[k].constant = false }
        }
        for (i, step) in e.protocolSteps.steps.enumerated() {
            var assignments: [EventAssignment] = []
            switch step.operation {
            case .preincubate:
                for d in drugs {
                    let p = e.panel[d]!.concentrationParameter
                    assignments.append(EventAssignment(variable: p, math: .symbol("\(d)_dose")))
                }
            case .add(let t, let c):
                let p = e.treatments.first { $0.id == t }!.parameter
                makeVariable(p)
                assignments.append(EventAssignment(variable: p, math: .number(c) * .symbol("\(t)_scale") * .symbol("treatment_on")))
            case .wash(let ids):
                for id in ids {
                    if let t = e.treatments.first(where: { $0.id == id }) {
                        makeVariable(t.parameter)
                        assignments.append(EventAssignment(variable: t.parameter, math: 0))
                    } else {
                        let washed = id == "inhibitors" ? drugs : drugs.filter { $0 == id }
                        for d in washed { assignments.append(EventAssignment(variable: e.panel[d]!.concentrationParameter, math: 0)) }
                    }
                }
            case .set(let p, let v):
                makeVariable(p)
                assignments.append(EventAssignment(variable: p, math: .number(v)))
            }
            guard !assignments.isEmpty else { continue }
            m.events.append(Event(id: "protocol_step_\(i)", trigger: .apply(.ge, [.time, .number(step.time)]),
                                  assignments: assignments, triggerInitialValue: true, persistent: true))
        }
        return m
    }

    /// Runs every condition of the experiment's screen in parallel.
    ///
    /// - Parameter plotTimes: extra times at which trajectories are kept (for plots); effects
    ///   and calls use the readout times only.
    public static func run(_ e: Experiment, options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10),
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount, plotTimes: [Double] = []) throws -> ScreenResult {
        let started = Date()
        let conditions = e.conditions
        var drugs: [String] = []
        for c in conditions { for d in c.inhibitors.keys.sorted() where !drugs.contains(d) { drugs.append(d) } }
        let compiled = try CompiledModel(screeningModel(e, drugs: drugs))
        let compileSeconds = Date().timeIntervalSince(started)
        let outputs = e.readouts.map { OutputColumn($0) }
        let start = e.protocolSteps.firstTime - e.settle
        let times = Array(Set(e.readoutTimes + plotTimes.filter { $0 >= start })).sorted()
        let readoutRows = e.readoutTimes.map { times.firstIndex(of: $0)! }

        // Tasks: (condition, arm) with arm 0 = vehicle, 1 = treated.
        let store = ResultSlots(count: conditions.count * 2)
        let queue = TaskQueue(count: conditions.count * 2)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, conditions.count * 2))) { _ in
            var sim: Simulator?
            while let k = queue.next() {
                let c = conditions[k / 2]
                var inputs: [String: Double] = ["treatment_on": Double(k % 2)]
                for (d, conc) in c.inhibitors { inputs["\(d)_dose"] = conc }
                do {
                    if sim == nil { sim = try Simulator(compiled, options: options) }
                    let traj = try sim!.simulate(times: times, outputs: outputs, inputs: inputs, start: start)
                    store.set(k, .success((0 ..< times.count).map { r in (0 ..< outputs.count).map { traj[r, $0] } }))
                } catch {
                    store.set(k, .failure("\(error)"))
                }
            }
        }
        let raw = store.all()
        var results: [ConditionResult] = []
        var reference: [[Double]]?  // log2fc without inhibitors [time][readout]
        for (i, c) in conditions.enumerated() {
            switch (raw[2 * i], raw[2 * i + 1]) {
            case (.success(let v), .success(let t)):
                let fc = readoutRows.map { row in zip(v[row], t[row]).map { log2FoldChange($0, $1) } }
                if i == 0 { reference = fc.map { $0.map { $0 ?? 0 } } }
                var effects: [Effect] = []
                for (ti, time) in e.readoutTimes.enumerated() {
                    let row = readoutRows[ti]
                    for (ri, r) in e.readouts.enumerated() {
                        let ref = reference?[ti][ri] ?? 0
                        let (retained, call) = judge(fc[ti][ri], reference: ref, isReference: i == 0, e.thresholds)
                        effects.append(Effect(readout: r, time: time, vehicle: v[row][ri], treated: t[row][ri],
                                              log2fc: fc[ti][ri], retained: retained, call: call))
                    }
                }
                results.append(ConditionResult(condition: c, effects: effects, vehicle: v, treated: t))
            case (.failure(let why), _), (_, .failure(let why)):
                if i == 0 { throw ScreenError.referenceFailed(why) }
                results.append(ConditionResult(condition: c, effects: [], vehicle: [], treated: [], failure: why))
            default:
                throw ScreenError.referenceFailed("a simulation of condition \(c.id) did not run")
            }
        }
        return ScreenResult(readouts: e.readouts, times: e.readoutTimes, trajectoryTimes: times, conditions: results,
                            simulations: conditions.count * 2,
                            seconds: Date().timeIntervalSince(started), compileSeconds: compileSeconds)
    }

    static func log2FoldChange(_ v: Double, _ t: Double) -> Double? {
        guard v > 0, t > 0, v.isFinite, t.isFinite else { return v == t ? 0 : nil }
        return Foundation.log2(t / v)
    }

    /// The share of the uninhibited effect retained and the call.
    static func judge(_ fc: Double?, reference: Double, isReference: Bool, _ th: CallThresholds) -> (Double?, Effect.Call) {
        let detectable = Foundation.log2(th.minimumFold)
        guard let fc else { return (nil, .changed) }
        if abs(reference) < detectable {
            return (nil, abs(fc) >= detectable ? .changed : .unchanged)
        }
        if isReference { return (1, .changed) }
        let r = fc / reference
        if r >= th.retainedChanged { return (r, .changed) }
        if r <= th.retainedBlocked || abs(fc) < detectable { return (r, .blocked) }
        return (r, .partial)
    }
}

public enum ScreenError: Error, CustomStringConvertible {
    case referenceFailed(String)
    public var description: String {
        switch self {
        case .referenceFailed(let why): return "the condition without inhibitors could not be simulated: \(why)"
        }
    }
}

final class ResultSlots: @unchecked Sendable {
    enum Slot { case empty, success([[Double]]), failure(String) }
    private let lock = NSLock()
    private var slots: [Slot]
    init(count: Int) { slots = Array(repeating: .empty, count: count) }
    func set(_ i: Int, _ s: Slot) { lock.lock(); slots[i] = s; lock.unlock() }
    func all() -> [Slot] { lock.lock(); defer { lock.unlock() }; return slots }
}
