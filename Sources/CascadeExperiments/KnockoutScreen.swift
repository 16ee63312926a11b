import CascadeCore
import CascadeSolver
import Foundation

/// One readout at one time under one condition: the treatment vs vehicle.
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
    /// The treatment compared with vehicle (the protocol's additions, e.g. `ketamine`).
    public var treatment: String
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
    public static func run(_ e: Experiment, options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10),
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount, plotTimes: [Double] = []) throws -> ScreenResult {
        let started = Date()
        let conditions = e.conditions
        let screen = try VariantScreen(e, drugs: VariantScreen.drugs(of: conditions), settling: .perRun, options: options)
        let compileSeconds = Date().timeIntervalSince(started)
        let raw = screen.run(variants: [[:]], conditions: conditions, threads: threads)[0]
        var simulations = screen.simulationCount(variants: 1, conditions: conditions.count)

        // Trajectories for plots: the readout times and the plot times, in runs of their own.
        var trajectoryTimes = e.readoutTimes
        var plotted = raw
        let extra = plotTimes.filter { $0 >= screen.start }
        if !extra.isEmpty {
            var plots = screen
            plots.times = Array(Set(e.readoutTimes + extra)).sorted()
            trajectoryTimes = plots.times
            plotted = plots.run(variants: [[:]], conditions: conditions, threads: threads)[0]
            simulations += plots.simulationCount(variants: 1, conditions: conditions.count)
        }

        var results: [ConditionResult] = []
        var reference: [[Double]]?  // log2fc without inhibitors [time][readout]
        for (i, c) in conditions.enumerated() {
            switch (raw[i], plotted[i]) {
            case (.success(let arms), .success(let traj)):
                let (v, t) = (arms.vehicle, arms.treated)
                let fc = v.indices.map { row in zip(v[row], t[row]).map { log2FoldChange($0, $1) } }
                if i == 0 { reference = fc.map { $0.map { $0 ?? 0 } } }
                var effects: [Effect] = []
                for (ti, time) in e.readoutTimes.enumerated() {
                    for (ri, r) in e.readouts.enumerated() {
                        let ref = reference?[ti][ri] ?? 0
                        let (retained, call) = judge(fc[ti][ri], reference: ref, isReference: i == 0, e.thresholds)
                        effects.append(Effect(readout: r, time: time, vehicle: v[ti][ri], treated: t[ti][ri],
                                              log2fc: fc[ti][ri], retained: retained, call: call))
                    }
                }
                results.append(ConditionResult(condition: c, effects: effects, vehicle: traj.vehicle, treated: traj.treated))
            case (.failure(let why), _), (_, .failure(let why)):
                if i == 0 { throw ScreenError.referenceFailed(why) }
                results.append(ConditionResult(condition: c, effects: [], vehicle: [], treated: [], failure: why))
            }
        }
        return ScreenResult(treatment: e.treatments.map(\.id).joined(separator: "+"), readouts: e.readouts, times: e.readoutTimes,
                            trajectoryTimes: trajectoryTimes, conditions: results, simulations: simulations,
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
