import CascadeCore
import CascadeSolver
import Foundation

/// Treated and vehicle trajectories at the screen's times: `[time][readout]`.
public struct ArmPair: Hashable, Sendable {
    public var vehicle: [[Double]]
    public var treated: [[Double]]
    public init(vehicle: [[Double]], treated: [[Double]]) {
        self.vehicle = vehicle
        self.treated = treated
    }
}

/// Runs an experiment's protocol for parameter variants (lines, hypotheses, cohort members) and
/// inhibitor conditions, both arms each, with ONE compiled screening model: variants, arms and
/// inhibitor doses are inputs. The knockout screen, the planner and cohorts all run through it.
///
/// Before the protocol the untreated culture settles for `settle` seconds, in one of two ways:
/// - `.perVariant`: each variant is settled once without drugs (one simulation), and every
///   condition and arm of it starts from the settled state `margin` (one minute) before the first
///   protocol step. Used by the planner and cohorts (many variants, many conditions).
/// - `.perRun`: every simulation starts `settle` before the first protocol step and integrates
///   the settling itself. Used by the knockout screen (one variant).
public struct VariantScreen: Sendable {
    public enum Settling: Hashable, Sendable { case perVariant, perRun }

    public let experiment: Experiment
    public let drugs: [String]
    public let compiled: CompiledModel
    public let options: SolverOptions
    /// Readouts and times simulated (default: the experiment's).
    public var readouts: [String]
    public var times: [Double]
    public var settle: Double
    public var settling: Settling

    /// Seconds before the first protocol step at which condition runs start (`.perVariant`).
    static let margin = 60.0

    public init(
        _ e: Experiment, drugs: [String], readouts: [String]? = nil, times: [Double]? = nil, settle: Double? = nil,
        settling: Settling = .perVariant,
        options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10)
    ) throws {
        experiment = e
        self.drugs = drugs
        self.options = options
        compiled = try CompiledModel(PlateProtocol.screeningModel(e, drugs: drugs))
        self.readouts = readouts ?? e.readouts
        self.times = times ?? e.readoutTimes
        self.settle = settle ?? e.settle
        self.settling = settling
    }

    /// Every drug of the conditions, in order of first appearance (each condition's sorted).
    public static func drugs(of conditions: [Condition]) -> [String] {
        var drugs: [String] = []
        for c in conditions { for d in c.inhibitors.keys.sorted() where !drugs.contains(d) { drugs.append(d) } }
        return drugs
    }

    /// Whether a simulation can set `id` (a constant parameter, compartment or species initial
    /// value that is not driven by a rule or the inhibitor panel).
    public func isSettable(_ id: String) -> Bool {
        compiled.inputPosition(id) != nil && !TreatmentInputs.isDose(id, of: drugs)
    }

    /// The value of a settable parameter in the model before any variant's overrides.
    public func nominal(_ id: String) -> Double? {
        guard let i = compiled.inputPosition(id) else { return nil }
        return compiled.nominalInputs[i]
    }

    public enum Outcome: Hashable, Sendable {
        case success(ArmPair)
        case failure(String)
        public var value: ArmPair? { if case .success(let v) = self { return v } else { return nil } }
    }

    /// The time simulations of conditions start at.
    public var start: Double {
        switch settling {
        case .perVariant: return experiment.protocolSteps.firstTime - Self.margin
        case .perRun: return experiment.protocolSteps.firstTime - settle
        }
    }

    /// `result[variant][condition]`: both arms of every condition for every variant. Failed
    /// simulations are reported with their reason; the rest go on. The same bytes whatever the
    /// number of threads (every task is independent and stored by index).
    public func run(
        variants: [[String: Double]], conditions: [Condition],
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [[Outcome]] {
        let start = self.start
        let states = settled(variants, threads: threads)

        // Every (variant, condition, arm).
        let outputs = readouts.map { OutputColumn($0) }
        let perVariant = conditions.count * 2
        let times = self.times
        let scales = conditions.map { experiment.treatmentScales($0) }
        let runner = ParallelRunner(threads: threads)
        let raw = runner.simulate(count: variants.count * perVariant, model: compiled, options: options) { sim, k in
            let v = k / perVariant, c = (k % perVariant) / 2, arm = k % 2
            var initial: [Double]?
            if let states { initial = try states[v].get() }
            let inputs = TreatmentInputs(arm: Double(arm), doses: conditions[c].inhibitors, scales: scales[c]).values(over: variants[v])
            let traj = try sim.simulate(times: times, outputs: outputs, inputs: inputs, start: start, initialStates: initial)
            return (0 ..< times.count).map { r in (0 ..< outputs.count).map { traj[r, $0] } }
        }
        return (0 ..< variants.count).map { v in
            (0 ..< conditions.count).map { c in
                switch (raw[v * perVariant + 2 * c], raw[v * perVariant + 2 * c + 1]) {
                case (.success(let a), .success(let b)): return .success(ArmPair(vehicle: a, treated: b))
                case (.failure(let why), _), (_, .failure(let why)): return .failure("\(why)")
                }
            }
        }
    }

    /// The settled state of each variant (`.perVariant` with a positive settle), else nil.
    private func settled(_ variants: [[String: Double]], threads: Int) -> [Result<[Double], any Error>]? {
        guard settling == .perVariant, settle > 0 else { return nil }
        let (start, settle) = (start, settle)
        return ParallelRunner(threads: threads).simulate(count: variants.count, model: compiled, options: options) { sim, v in
            do {
                _ = try sim.simulate(times: [start], outputs: [], inputs: TreatmentInputs(arm: 0).values(over: variants[v]), start: start - settle)
                return sim.finalStates
            } catch {
                throw SimulationFailure("settling: \(error)")
            }
        }
    }

    /// Simulations `run` performs for this many variants and conditions.
    public func simulationCount(variants: Int, conditions: Int) -> Int {
        variants * (conditions * 2 + (settling == .perVariant && settle > 0 ? 1 : 0))
    }
}

/// Why a simulation failed, as text (a value, so failures travel with results).
struct SimulationFailure: Error, Sendable, CustomStringConvertible {
    var reason: String
    var description: String { reason }
    init(_ reason: String) { self.reason = reason }
}
