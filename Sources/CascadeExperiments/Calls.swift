import CascadeCore
import CascadeSolver
import Foundation

/// Thresholds turning effects into calls (`changed`, `partial`, `blocked`, `occluded`, `unchanged`).
public struct CallThresholds: Hashable, Sendable {
    /// The smallest fold change (either direction) that counts as a change. Default 1.25: typical
    /// western-blot and imaging readouts vary by 10-20% (coefficient of variation) between
    /// replicate wells, so a 25% difference is about two standard deviations of the mean of
    /// triplicates.
    public var minimumFold = 1.25
    /// At or above this share of the uninhibited effect retained, the effect is `changed`.
    public var retainedChanged = 0.75
    /// At or below this share retained, the effect is `blocked` (or `occluded`); between the two, `partial`.
    public var retainedBlocked = 0.25
    /// Replicate wells per arm on the plate the confidence refers to (a triplicate plate: 3).
    public var replicates = 3
    public init() {}
}

/// How a readout is measured: the well-to-well coefficient of variation of its assay and the
/// assay's detection floor, as a share of the readout's level in untreated wells without
/// inhibitors (a band, a signal or a count below it cannot be told from background, and reads
/// as the floor).
public struct Assay: Hashable, Sendable {
    public var name: String
    public var cv: Double
    public var floor: Double
    public var readouts: [String]
    public var source: String
    /// The smallest fold change (either direction) this assay resolves, counted as a change for
    /// its readouts; nil: the experiment's `CallThresholds.minimumFold`.
    public var minimumFold: Double?

    public init(name: String, cv: Double, floor: Double, readouts: [String], source: String = "assumed", minimumFold: Double? = nil) {
        self.name = name
        self.cv = cv
        self.floor = floor
        self.readouts = readouts
        self.source = source
        self.minimumFold = minimumFold
    }

    /// The standard deviation of ln(value) of one well: √ln(1 + CV²).
    public var sigma: Double { Foundation.log(1 + cv * cv).squareRoot() }
}

/// The assays of an experiment; readouts no assay lists use `fallback`.
public struct AssayPanel: Hashable, Sendable {
    public var assays: [Assay]
    /// CV 0.2 and floor 0.05 (assumed: a quantitative western blot, the least precise common
    /// readout; 5% of the control level is the planner's default detection floor).
    public var fallback = Assay(
        name: "default", cv: 0.2, floor: 0.05, readouts: [],
        source: "assumed: a quantitative western blot (CV 20%, floor 5% of control)")

    public init(assays: [Assay] = []) { self.assays = assays }

    public func assay(for readout: String) -> Assay { assays.first { $0.readouts.contains(readout) } ?? fallback }

    /// The same assays, every one at the experiment's threshold (no per-assay `minimum_fold`).
    public func uniformThreshold() -> AssayPanel {
        var p = self
        for i in p.assays.indices { p.assays[i].minimumFold = nil }
        p.fallback.minimumFold = nil
        return p
    }
}

/// The four well groups behind one call, at one readout and time: vehicle and treated without
/// inhibitors (the reference), and vehicle and treated under the condition's inhibitors.
public struct CallLevels: Hashable, Sendable {
    public var referenceVehicle: Double
    public var referenceTreated: Double
    public var vehicle: Double
    public var treated: Double

    public init(referenceVehicle: Double, referenceTreated: Double, vehicle: Double, treated: Double) {
        self.referenceVehicle = referenceVehicle
        self.referenceTreated = referenceTreated
        self.vehicle = vehicle
        self.treated = treated
    }
}

/// A call with the figures it rests on.
public struct Judgement: Hashable, Sendable {
    /// log2(treated / vehicle) under the condition, both read with the floor.
    public var log2fc: Double?
    /// `log2fc` over the uninhibited effect; nil when that effect is below the detection threshold.
    public var retained: Double?
    /// The inhibitors' own effect: log2(vehicle under the inhibitors / vehicle without).
    public var inhibitorLog2fc: Double?
    public var call: Effect.Call
}

/// The call rules: thresholds, and the assays' noise, floors and resolution.
///
/// For a condition other than the reference, with d = log2(the readout's minimum fold: its
/// assay's `minimum_fold`, else the experiment's) and every level read
/// as at least `floor × the reference vehicle level` (the readout's assay floor):
/// - the uninhibited effect `ref` = log2(reference treated / reference vehicle); when |ref| < d,
///   ketamine has no detectable effect without inhibitors, and the call is `changed` if the
///   condition's own effect reaches d, else `unchanged`;
/// - retained r = fc / ref, fc = log2(treated / vehicle) under the condition;
/// - r ≥ `retained_changed`: `changed`;
/// - r ≤ `retained_blocked` or |fc| < d: `occluded` when the inhibitors alone move the readout in
///   ketamine's direction by at least d (they mimic or saturate the effect, so "ketamine adds
///   nothing" does not mean the pathway is needed), else `blocked`;
/// - otherwise `partial`.
/// The reference condition's call is `changed` when |ref| ≥ d, else `unchanged`.
public struct CallRules: Hashable, Sendable {
    public var thresholds: CallThresholds
    public var assays: AssayPanel

    public init(thresholds: CallThresholds = CallThresholds(), assays: AssayPanel = AssayPanel()) {
        self.thresholds = thresholds
        self.assays = assays
    }

    /// The smallest fold change counted as a change for `readout`: its assay's, else the
    /// experiment's.
    public func minimumFold(_ readout: String) -> Double { assays.assay(for: readout).minimumFold ?? thresholds.minimumFold }

    /// The absolute level below which readout `r` reads as the floor.
    public func floorLevel(_ readout: String, referenceVehicle: Double) -> Double {
        guard referenceVehicle.isFinite, referenceVehicle > 0 else { return 0 }
        return assays.assay(for: readout).floor * referenceVehicle
    }

    public func judge(_ x: CallLevels, readout: String, isReference: Bool) -> Judgement {
        judge(x, floor: floorLevel(readout, referenceVehicle: x.referenceVehicle), minimumFold: minimumFold(readout), isReference: isReference)
    }

    func judge(_ x: CallLevels, floor: Double, minimumFold: Double, isReference: Bool) -> Judgement {
        func read(_ v: Double) -> Double { v.isFinite ? Swift.max(v, floor) : v }
        let v0 = read(x.referenceVehicle), v = read(x.vehicle)
        let ref = KnockoutScreen.log2FoldChange(v0, read(x.referenceTreated)) ?? 0
        let fc = KnockoutScreen.log2FoldChange(v, read(x.treated))
        let own = KnockoutScreen.log2FoldChange(v0, v)
        let d = Foundation.log2(minimumFold)
        guard let fc else { return Judgement(log2fc: nil, retained: nil, inhibitorLog2fc: own, call: .changed) }
        if abs(ref) < d {
            return Judgement(log2fc: fc, retained: nil, inhibitorLog2fc: own, call: abs(fc) >= d ? .changed : .unchanged)
        }
        if isReference { return Judgement(log2fc: fc, retained: 1, inhibitorLog2fc: own, call: .changed) }
        let r = fc / ref
        let call: Effect.Call
        if r >= thresholds.retainedChanged {
            call = .changed
        } else if r <= thresholds.retainedBlocked || abs(fc) < d {
            call = (own ?? 0) * (ref > 0 ? 1 : -1) >= d ? .occluded : .blocked
        } else {
            call = .partial
        }
        return Judgement(log2fc: fc, retained: r, inhibitorLog2fc: own, call: call)
    }

    /// The probability that the call holds, estimated from `draws` seeded draws of the four group
    /// means (the same seed gives the same value): each group's ln mean is normal around the
    /// prediction with SD σ/√n. `confidence` computes the same probability exactly; this
    /// estimate is its independent check.
    public func sampledConfidence(_ x: CallLevels, readout: String, isReference: Bool, seed: UInt64, draws: Int = 2000) -> Double {
        let floor = floorLevel(readout, referenceVehicle: x.referenceVehicle)
        let fold = minimumFold(readout)
        let call = judge(x, floor: floor, minimumFold: fold, isReference: isReference).call
        let sd = assays.assay(for: readout).sigma / Double(Swift.max(1, thresholds.replicates)).squareRoot()
        var rng = SplitMix64(seed: seed)
        var held = 0
        for _ in 0 ..< draws {
            var noisy = CallLevels(
                referenceVehicle: x.referenceVehicle * Foundation.exp(sd * rng.normal()),
                referenceTreated: x.referenceTreated * Foundation.exp(sd * rng.normal()),
                vehicle: x.vehicle * Foundation.exp(sd * rng.normal()),
                treated: x.treated * Foundation.exp(sd * rng.normal()))
            if isReference {
                // The reference condition's wells are the reference wells.
                noisy.vehicle = noisy.referenceVehicle
                noisy.treated = noisy.referenceTreated
            }
            if judge(noisy, floor: floor, minimumFold: fold, isReference: isReference).call == call { held += 1 }
        }
        return Double(held) / Double(draws)
    }
}

extension AssayPanel {
    /// Reads an `assays:` node:
    ///
    ///     assays:
    ///       western: {cv: 0.2, floor: 0.1, minimum_fold: 1.2, readouts: [p_S6K, p_Akt], source: "..."}
    ///
    /// `floor` (default 0.05) is a share of the readout's level in untreated wells without
    /// inhibitors; `minimum_fold` (optional, above 1) the smallest fold change the assay resolves,
    /// used for its readouts' calls in place of `calls.minimum_fold`; a readout listed by two
    /// assays, or an unknown readout, is an error.
    static func load(_ node: YAMLValue, readouts known: [String]) throws -> AssayPanel {
        var assays: [Assay] = []
        var seen: [String: String] = [:]
        for (name, v) in try node.entries() {
            try v.allowOnly(["cv", "floor", "minimum_fold", "readouts", "source", "confidence"])
            let cvNode = try v.required("cv")
            let cv = try cvNode.double()
            guard cv > 0, cv.isFinite else { throw cvNode.error("the coefficient of variation must be positive") }
            let floor = try v["floor"]?.double() ?? 0.05
            guard floor >= 0, floor < 1 else { throw try v.required("floor").error("the floor is a share of the control level, in [0, 1)") }
            var minimumFold: Double? = nil
            if let m = v["minimum_fold"] {
                let fold = try m.double()
                guard fold > 1, fold.isFinite else { throw m.error("minimum_fold must be above 1 (a fold change, e.g. 1.2 for 20%)") }
                minimumFold = fold
            }
            let listNode = try v.required("readouts")
            var readouts: [String] = []
            for r in try listNode.list() {
                let id = try r.string()
                guard known.contains(id) else {
                    let hint = Spelling.suggestions(for: id, among: known).first.map { " (did you mean '\($0)'?)" } ?? ""
                    throw r.error("'\(id)' is not a readout of this experiment\(hint)")
                }
                if let other = seen[id] { throw r.error("'\(id)' is already read by assay '\(other)'") }
                seen[id] = name
                readouts.append(id)
            }
            assays.append(
                Assay(
                    name: name, cv: cv, floor: floor, readouts: readouts, source: try v["source"]?.string() ?? "assumed",
                    minimumFold: minimumFold))
        }
        return AssayPanel(assays: assays)
    }
}
