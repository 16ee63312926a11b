import CascadeCore
import CascadeSolver
import Foundation

/// One readout at one time under one condition: the treatment vs vehicle.
public struct Effect: Hashable, Sendable {
    public enum Call: String, Hashable, Sendable, CaseIterable { case changed, partial, blocked, occluded, unchanged }
    public var readout: String
    /// Seconds after the treatment.
    public var time: Double
    public var vehicle: Double
    public var treated: Double
    /// log2(treated / vehicle); nil when either is not positive.
    public var log2fc: Double?
    /// The share of the uninhibited effect (log2 fold change) retained, on levels read with the
    /// assay's floor; nil when the uninhibited effect is below the detection threshold.
    public var retained: Double?
    public var call: Call
    /// The probability that the call holds on a plate with the experiment's replicates (see
    /// `CallRules.confidence`).
    public var confidence: Double?
    /// The inhibitors' own effect: log2(vehicle under the inhibitors / vehicle without them);
    /// nil for the reference condition.
    public var inhibitorLog2fc: Double?
    /// For a combination, how its blockade compares with its single inhibitors'.
    public var interaction: Interaction?
    /// Over an ensemble of calibrated parameter sets: the share of members whose call equals
    /// this one (see `EnsembleScreen`); nil without an ensemble.
    public var agreement: Double? = nil
}

/// How much more a combination blocks than its inhibitors alone predict. With I = 1 − retained,
/// clipped to [0, 1] (the share of ketamine's effect removed):
/// - `bliss`: I_combination − (1 − Π(1 − I_single)), the excess over independent action;
/// - `hsa`: I_combination − max I_single, the excess over the highest single agent.
/// Positive: the combination removes more than expected (synergy, or redundant pathways that each
/// carry the effect); near 0: additive (Bliss) or no gain over the best single (HSA); negative:
/// less than expected (the inhibitors act on the same path).
public struct Interaction: Hashable, Sendable {
    public var bliss: Double
    public var hsa: Double

    /// From the combination's retained share and its singles' (nil when any is missing).
    public static func from(combination: Double?, singles: [Double?]) -> Interaction? {
        guard let c = combination, !singles.isEmpty else { return nil }
        var blocks: [Double] = []
        for s in singles {
            guard let s else { return nil }
            blocks.append(removed(s))
        }
        let bliss = 1 - blocks.reduce(1) { $0 * (1 - $1) }
        return Interaction(bliss: removed(c) - bliss, hsa: removed(c) - blocks.max()!)
    }

    static func removed(_ retained: Double) -> Double { Swift.min(1, Swift.max(0, 1 - retained)) }
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
    /// The treatment compared with vehicle (the protocol's additions, e.g. `ketamine`).
    public var treatment: String
    public var readouts: [String]
    /// Readout times (seconds after the treatment).
    public var times: [Double]
    /// Times of the stored trajectories: the readout times and any plotting times.
    public var trajectoryTimes: [Double]
    public var conditions: [ConditionResult]
    /// Per readout (in `readouts` order), the smallest fold change its calls count as a change:
    /// its assay's `minimum_fold`, else the experiment's.
    public var minimumFolds: [Double] = []
    /// For inhibitors screened alone at three concentrations or more: the blockade's dose response.
    public var doseResponses: [DoseResponse] = []
    /// For a treatment screened at three concentrations or more (`treatment_doses`, with the
    /// protocol's own): each readout's change as a function of its concentration.
    public var treatmentDoseResponses: [TreatmentDoseResponse] = []
    /// When the protocol's drugs are in the bath (seconds), for plots: the treatment from its
    /// addition to its washout, the inhibitors from the pre-incubation to their washout.
    public var exposures: [(from: Double, to: Double, color: String, label: String)] = []
    public var simulations: Int
    /// Wall time of the whole screen, and of compiling its model (the rest is simulation).
    public var seconds: Double
    public var compileSeconds: Double = 0
    /// Of `seconds`, the time spent on calls and their confidence (after the simulations).
    public var callSeconds: Double = 0
    /// Set when the screen was also run over an ensemble (`EnsembleScreen`).
    public var ensemble: EnsembleAgreement? = nil
}

/// The knockout screen: for every condition, the treatment vs vehicle under the same inhibitors.
///
/// The model is compiled once (see `PlateProtocol.screeningModel`): every condition and both arms
/// are the same compiled model with different inputs, run by a `VariantScreen` with one variant.
public enum KnockoutScreen {
    /// Runs every condition of the experiment's screen in parallel.
    ///
    /// - Parameter plotTimes: extra times at which trajectories are kept (for plots). They are
    ///   simulated in runs of their own, so the effects and calls, taken at the readout times
    ///   only, are the same bytes whether or not plots are asked for (output times decide where
    ///   the integrator stops, and so move results at the level of its tolerance).
    public static func run(
        _ e: Experiment, options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, plotTimes: [Double] = []
    ) throws -> ScreenResult {
        let started = Date()
        let conditions = e.conditions
        // Conditions with protocol steps of their own run on a screening model of their own.
        var groups: [(steps: [PlateProtocol.Step], members: [Int])] = []
        for (i, c) in conditions.enumerated() {
            if let g = groups.firstIndex(where: { $0.steps == c.steps }) { groups[g].members.append(i) } else { groups.append((c.steps, [i])) }
        }
        let allDrugs = VariantScreen.drugs(of: conditions)
        var screens: [VariantScreen] = []
        for g in groups {
            var ge = e
            ge.protocolSteps = PlateProtocol(steps: e.protocolSteps.steps + g.steps)
            let drugs = g.steps.isEmpty ? allDrugs : VariantScreen.drugs(of: g.members.map { conditions[$0] })
            screens.append(try VariantScreen(ge, drugs: drugs, settling: .perRun, options: options))
        }
        let compileSeconds = Date().timeIntervalSince(started)
        var simulations = 0
        func runAll(_ times: [Double]) -> [VariantScreen.Outcome] {
            var out = [VariantScreen.Outcome](repeating: .failure("not simulated"), count: conditions.count)
            for (g, group) in groups.enumerated() {
                var screen = screens[g]
                screen.times = times.filter { $0 >= screen.start }
                let members = group.members.map { conditions[$0] }
                for (k, r) in screen.run(variants: [[:]], conditions: members, threads: threads)[0].enumerated() { out[group.members[k]] = r }
                simulations += screen.simulationCount(variants: 1, conditions: members.count)
            }
            return out
        }
        let raw = runAll(e.readoutTimes)

        // Trajectories for plots: the readout times and the plot times, in runs of their own.
        var trajectoryTimes = e.readoutTimes
        var plotted = raw
        let extra = plotTimes.filter { $0 >= screens.map(\.start).max()! }
        if !extra.isEmpty {
            trajectoryTimes = Array(Set(e.readoutTimes + extra)).sorted()
            plotted = runAll(trajectoryTimes)
        }

        guard case .success(let reference) = raw[0] else {
            if case .failure(let why) = raw[0] { throw ScreenError.referenceFailed(why) }
            throw ScreenError.referenceFailed("not simulated")
        }
        let callsStarted = Date()
        let rules = e.callRules
        let readouts = e.readouts, times = e.readoutTimes
        let judged = ParallelRunner(threads: threads).run(count: conditions.count) { i -> [Effect] in
            guard case .success(let arms) = raw[i] else { return [] }
            // A treatment dose without inhibitors is judged as the reference is: changed when its
            // own effect reaches the threshold.
            let isDose = !conditions[i].treatments.isEmpty && conditions[i].inhibitors.isEmpty
            var effects: [Effect] = []
            for (ti, time) in times.enumerated() {
                for (ri, r) in readouts.enumerated() {
                    let levels =
                        isDose
                        ? CallLevels(
                            referenceVehicle: arms.vehicle[ti][ri], referenceTreated: arms.treated[ti][ri],
                            vehicle: arms.vehicle[ti][ri], treated: arms.treated[ti][ri])
                        : CallLevels(
                            referenceVehicle: reference.vehicle[ti][ri], referenceTreated: reference.treated[ti][ri],
                            vehicle: arms.vehicle[ti][ri], treated: arms.treated[ti][ri])
                    let asReference = i == 0 || isDose
                    var j = rules.judge(levels, readout: r, isReference: asReference)
                    if isDose {
                        // The share of the protocol dose's effect, when that effect is detectable.
                        let nominal = rules.judge(
                            CallLevels(
                                referenceVehicle: reference.vehicle[ti][ri], referenceTreated: reference.treated[ti][ri],
                                vehicle: levels.vehicle, treated: levels.treated), readout: r, isReference: false)
                        j.retained = nominal.retained
                    }
                    effects.append(
                        Effect(
                            readout: r, time: time, vehicle: levels.vehicle, treated: levels.treated,
                            log2fc: log2FoldChange(levels.vehicle, levels.treated), retained: j.retained, call: j.call,
                            confidence: rules.confidence(levels, readout: r, isReference: asReference),
                            inhibitorLog2fc: asReference ? nil : log2FoldChange(levels.referenceVehicle, levels.vehicle)))
                }
            }
            return effects
        }
        var effects = judged.map { (try? $0.get()) ?? [] }
        addInteractions(&effects, conditions)
        var results: [ConditionResult] = []
        for (i, c) in conditions.enumerated() {
            switch (raw[i], plotted[i]) {
            case (.success, .success(let traj)):
                results.append(
                    ConditionResult(
                        condition: c, effects: effects[i],
                        vehicle: traj.vehicle, treated: traj.treated))
            case (.failure(let why), _), (_, .failure(let why)):
                results.append(ConditionResult(condition: c, effects: [], vehicle: [], treated: [], failure: why))
            }
        }
        var result = ScreenResult(
            treatment: e.treatments.map(\.id).joined(separator: "+"), readouts: e.readouts, times: e.readoutTimes,
            trajectoryTimes: trajectoryTimes, conditions: results,
            doseResponses: doseResponses(conditions, effects, readouts: readouts, times: times),
            treatmentDoseResponses: treatmentDoseResponses(e, conditions, effects, rules: rules), simulations: simulations,
            seconds: Date().timeIntervalSince(started), compileSeconds: compileSeconds)
        result.callSeconds = Date().timeIntervalSince(callsStarted)
        result.minimumFolds = readouts.map(rules.minimumFold)
        result.exposures = exposures(e.protocolSteps, treatments: Set(e.treatments.map(\.id)), until: trajectoryTimes.last ?? 0)
        return result
    }

    /// The exposure windows of a protocol: inhibitors (pre-incubation to washout) and treatments
    /// (addition to washout), ending at `until` when never washed.
    static func hours(_ s: Double) -> String { String(format: "%.3g", s / 3600) }

    static func exposures(_ p: PlateProtocol, treatments: Set<String>, until end: Double) -> [(from: Double, to: Double, color: String, label: String)] {
        var out: [(Double, Double, String, String)] = []
        var open: [String: Double] = [:]
        var order: [String] = []
        for s in p.steps {
            switch s.operation {
            case .preincubate: open["inhibitors"] = s.time; order.append("inhibitors")
            case .addInhibitor(let d, _): open[d] = s.time; order.append(d)
            case .add(let t, _): open[t] = s.time; order.append(t)
            case .wash(let ids):
                for id in ids {
                    let key = open[id] != nil ? id : (open["inhibitors"] != nil && id != "inhibitors" ? "" : id)
                    if let from = open[key] { out.append((from, s.time, "", key)); open[key] = nil }
                }
            case .set: continue
            }
        }
        for k in order { if let from = open[k] { out.append((from, end, "", k)); open[k] = nil } }
        return out.map { w in
            let isInhibitor = !treatments.contains(w.3)
            let label =
                (w.3 == "inhibitors" ? "inhibitors in the bath" : "\(w.3) in the bath")
                + " (\(hours(w.0)) h to \(hours(w.1)) h)"
            return (w.0, w.1, isInhibitor ? "rgba(120,120,120,0.10)" : "rgba(243,132,0,0.18)", label)
        }
    }

    /// Bliss and HSA excess for every effect of a combination whose single inhibitors were
    /// screened at the same concentrations (and with the same protocol).
    static func addInteractions(_ effects: inout [[Effect]], _ conditions: [Condition]) {
        for (i, c) in conditions.enumerated() where c.inhibitors.count >= 2 && !effects[i].isEmpty {
            let singles = c.inhibitors.keys.sorted().map { d in
                conditions.firstIndex { $0.inhibitors == [d: c.inhibitors[d]!] && $0.steps == c.steps }
            }
            guard singles.allSatisfy({ $0 != nil && !effects[$0!].isEmpty }) else { continue }
            for k in effects[i].indices {
                effects[i][k].interaction = Interaction.from(
                    combination: effects[i][k].retained,
                    singles: singles.map { effects[$0!][k].retained })
            }
        }
    }

    static func log2FoldChange(_ v: Double, _ t: Double) -> Double? {
        guard v > 0, t > 0, v.isFinite, t.isFinite else { return v == t ? 0 : nil }
        return Foundation.log2(t / v)
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
