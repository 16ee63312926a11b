import CascadeCore
import CascadeSolver
import Foundation

/// A literature scorecard: findings from the literature turned into executable checks on a model.
///
/// Each check runs a *test* arm and a *control* arm (by default the protocol with its treatment
/// versus the same protocol as vehicle, both under the same hooks and genotype) and judges a
/// readout at a time: a direction (`up`, `down`, `unchanged`), a range, whether a condition blocks
/// the response (`blocked`, `not_blocked`: the log fold change kept under the condition), the time
/// of a peak, or the decay of an effect. A finding is reproduced when all its checks pass.
///
///     let card = try Scorecard.load(contentsOf: URL(fileURLWithPath: "models/scorecard.yaml"))
///     let model = try Antimony.parse(contentsOf: URL(fileURLWithPath: "models/ketamine.ant"))
///     let results = try card.run(on: model)
///     print(Scorecard.table(results))
///
/// The file format is described in models/README.md ("The scorecard").
public struct Scorecard: Sendable {
    /// How a run is built: a protocol, with or without its treatment, acute hooks and a genotype.
    public struct Arm: Hashable, Sendable {
        public var protocolName: String
        /// False: the protocol's treatment steps set their parameters to 0 (vehicle).
        public var treated: Bool
        /// Acute settings (inhibitors): on at the start of the hook window, back to the model's
        /// value at its end.
        public var hooks: [String: Double]
        /// Chronic settings (knockdowns, knock-ins, mode switches): held from the start of a long
        /// equilibration before the protocol.
        public var genotype: [String: Double]
        /// When acute hooks are on (seconds); nil: the scorecard's default window.
        public var hookWindow: ClosedRange<Double>?

        public init(
            protocolName: String, treated: Bool, hooks: [String: Double] = [:], genotype: [String: Double] = [:],
            hookWindow: ClosedRange<Double>? = nil
        ) {
            self.protocolName = protocolName
            self.treated = treated
            self.hooks = hooks
            self.genotype = genotype
            self.hookWindow = hookWindow
        }

        var label: String {
            var parts: [String] = []
            if !hooks.isEmpty { parts.append(hooks.sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")) }
            if !genotype.isEmpty { parts.append(genotype.sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")) }
            return parts.joined(separator: "; ")
        }
    }

    /// Extra hooks and genotype for the `blocked` / `not_blocked` comparisons.
    public struct Condition: Hashable, Sendable {
        public var hooks: [String: Double] = [:]
        public var genotype: [String: Double] = [:]
        /// When the condition's hooks are on; nil: the check's window.
        public var hookWindow: ClosedRange<Double>?
        public init(hooks: [String: Double] = [:], genotype: [String: Double] = [:], hookWindow: ClosedRange<Double>? = nil) {
            self.hooks = hooks
            self.genotype = genotype
            self.hookWindow = hookWindow
        }
        var label: String {
            (hooks.merging(genotype) { a, _ in a }).sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")
        }
    }

    /// What a check expects.
    public enum Expectation: Hashable, Sendable {
        /// Relative change (test/control - 1) at least `by`.
        case up(by: Double)
        /// Relative change at most `-by`.
        case down(by: Double)
        /// |relative change| at most `tolerance`.
        case unchanged(tolerance: Double)
        /// The test arm's value (or, with `ofChange`, its relative change) within [lo, hi].
        case range(lo: Double, hi: Double, ofChange: Bool)
        /// The relative change of the readout's time average over `window` (test over control)
        /// within [lo, hi]: for measures that accumulate over an acquisition, such as a 13C
        /// enrichment read over a scan, rather than a value at one instant.
        case meanChange(lo: Double, hi: Double, window: ClosedRange<Double>)
        /// Under the condition, the response keeps at most this share of its log fold change.
        case blocked(Condition, maxRetained: Double)
        /// Under the condition, the response keeps at least this share of its log fold change.
        case notBlocked(Condition, minRetained: Double)
        /// The test arm's readout peaks (its maximum over `window`) at a time within [lo, hi].
        case peakWithin(lo: Double, hi: Double, window: ClosedRange<Double>)
        /// The relative effect (test/control - 1) peaks in `window` and then falls to half its
        /// peak at a time (from time 0) within [lo, hi].
        case halfDecayWithin(lo: Double, hi: Double, window: ClosedRange<Double>)
        /// The relative effect on `readout` reaches half its extreme (in `window`) no later than
        /// that on `other`.
        case precedes(other: String, window: ClosedRange<Double>)
    }

    public struct Check: Hashable, Sendable {
        public var what: String
        public var readout: String
        public var time: Double
        public var test: Arm
        public var control: Arm
        public var expectation: Expectation
        /// For `precedes`: the readout must reach half its change strictly earlier (a tie fails).
        public var strict: Bool = false
    }

    public struct Finding: Hashable, Sendable {
        public var id: String
        public var claim: String
        public var source: String
        /// False: the model cannot address the finding; `reason` says why.
        public var addressed: Bool
        public var reason: String
        public var checks: [Check]
        /// Shown in the note of the result (caveats, what the figure means).
        public var note: String
        /// Why the model gives this result: `predicted` (counted), `construction` (a structural
        /// choice made to reproduce it) or `fitted` (a constant fitted to it); only predicted
        /// findings count towards the score.
        public var basis: String = "predicted"
        /// Which set the finding belongs to: `core` (the literature findings F1-F18 the model is
        /// scored on) or `further` (independent checks beyond them, counted separately).
        public var set: String = "core"
    }

    public var protocols: [String: TreatmentProtocol]
    public var findings: [Finding]
    /// Acute hooks are on from `hookWindow.lowerBound` to `hookWindow.upperBound` (seconds).
    public var hookWindow: ClosedRange<Double> = -1800 ... 3600
    /// Runs with a genotype start this long before time 0.
    public var equilibration: Double = 20 * 86400
    public var relativeTolerance: Double = 1e-7
    public var absoluteTolerance: Double = 1e-14

    // MARK: Results

    public struct CheckResult: Hashable, Sendable {
        public var check: Check
        public var passed: Bool
        public var figure: String
        /// Over a calibrated ensemble (`runEnsemble`): the members in which the check passes.
        public var ensemble: EnsembleShare? = nil
    }

    public struct FindingResult: Hashable, Sendable {
        public var id: String
        public var addressed: Bool
        public var reproduced: Bool
        public var figure: String
        public var note: String
        public var checks: [CheckResult]
        /// The claim of the literature, as written in the scorecard.
        public var claim: String = ""
        /// predicted, construction or fitted (see `Finding.basis`).
        public var basis: String = "predicted"
        /// `core` or `further` (see `Finding.set`).
        public var set: String = "core"
        /// Over a calibrated ensemble (`runEnsemble`): the members in which the finding is reproduced.
        public var ensemble: EnsembleShare? = nil
        /// Whether the finding counts towards the score of its set (addressed and predicted).
        public var counted: Bool { addressed && basis == "predicted" }
    }

    /// The bases a finding may declare.
    public static let bases = ["predicted", "construction", "fitted"]
    /// The sets a finding may belong to: the scored literature findings and further checks.
    public static let sets = ["core", "further"]
}
