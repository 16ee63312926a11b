import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

// MARK: - Random numbers

extension SplitMix64 {
    /// A standard normal deviate by the Box-Muller transform (cosine branch; two uniforms per
    /// deviate, none cached, so every deviate depends only on the generator's position).
    public mutating func normal() -> Double {
        let u1 = 1 - unit()  // (0, 1]: log is finite
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

// MARK: - Virtual cohorts

/// How one parameter varies across a virtual cohort: log-normal with its median at the nominal
/// value and the given coefficient of variation, ln X ~ N(ln nominal, σ²), σ² = ln(1 + CV²).
public struct ParameterVariation: Hashable, Sendable {
    public var id: String
    public var cv: Double
    /// Values above this are set to it (for fractions and weights that must stay ≤ 1).
    public var maximum: Double?
    public var source: String

    public init(id: String, cv: Double, maximum: Double? = nil, source: String = "") {
        self.id = id
        self.cv = cv
        self.maximum = maximum
        self.source = source
    }

    /// The standard deviation of ln X.
    public var sigma: Double { Foundation.log(1 + cv * cv).squareRoot() }
}

/// A virtual cohort's recipe: size, seed and the stated distribution of each varied parameter.
///
///     cohort:
///       size: 100
///       seed: 20250501
///       cv: 0.25                      # default coefficient of variation
///       parameters:
///         J_Ca_NMDA: {cv: 0.3, source: "..."}
///         mTOR_total: {}              # the default CV
///         nmda_share_int: {cv: 0.2, max: 1}
///         mor_tone: 0.4               # a bare number is the CV
///
/// The generator is the project's SplitMix64 (CascadeSolver; Steele, Lea & Flood 2014). Member k
/// draws from its own stream, seeded with the first output of SplitMix64(seed + k·0x9E3779B97F4A7C15)
/// (a hashed seed, so members' streams start at unrelated points of the cycle), one normal deviate
/// (Box-Muller) per parameter in file order: member k is the same in a cohort of any size.
public struct CohortSpec: Hashable, Sendable {
    public var size: Int
    public var seed: UInt64
    public var variations: [ParameterVariation]

    public init(size: Int, seed: UInt64, variations: [ParameterVariation]) {
        self.size = size
        self.seed = seed
        self.variations = variations
    }

    /// Reads a `cohort:` node; `settable` says whether an id is a parameter the simulations can set.
    public static func load(_ node: YAMLValue, settable: (String) -> Bool) throws -> CohortSpec {
        try node.allowOnly(["size", "seed", "cv", "parameters", "description"])
        let sizeNode = try node.required("size")
        let size = try sizeNode.int()
        guard size >= 2 else { throw sizeNode.error("a cohort needs at least 2 members, got \(size)") }
        let seedNode = try node.required("seed")
        let seedText = try seedNode.string().trimmingCharacters(in: .whitespaces)
        guard let seed = UInt64(seedText) else { throw seedNode.error("the seed must be a whole number from 0 to 2^64-1, got '\(seedText)'") }
        let defaultCV = try node["cv"]?.double() ?? 0.25
        guard defaultCV > 0 else { throw try node.required("cv").error("the coefficient of variation must be positive") }
        var variations: [ParameterVariation] = []
        for (id, v) in try node.required("parameters").entries() {
            guard settable(id) else {
                throw v.error("unknown parameter '\(id)': not a constant parameter of the model that a simulation can set")
            }
            var cv = defaultCV
            var maximum: Double?
            var source = ""
            switch v.node {
            case .mapping:
                try v.allowOnly(["cv", "max", "source", "confidence", "note"])
                if let c = v["cv"] { cv = try c.double() }
                maximum = try v["max"]?.double()
                source = try v["source"]?.string() ?? ""
            default:
                cv = try v.double()
            }
            guard cv > 0, cv.isFinite else { throw v.error("the coefficient of variation must be positive, got \(cv)") }
            if let m = maximum, !(m > 0) { throw v.error("max must be positive") }
            if variations.contains(where: { $0.id == id }) { throw v.error("'\(id)' is listed twice") }
            variations.append(ParameterVariation(id: id, cv: cv, maximum: maximum, source: source))
        }
        guard !variations.isEmpty else { throw node.error("list at least one parameter to vary") }
        return CohortSpec(size: size, seed: seed, variations: variations)
    }
}

/// Sampled parameter sets: member k's value of variation j is `members[k][j]`.
public struct VirtualCohort: Hashable, Sendable {
    public var spec: CohortSpec
    /// The nominal (median) value of each varied parameter.
    public var nominal: [Double]
    public var members: [[Double]]

    /// Samples the cohort around `nominal` (each varied parameter's value before variation).
    public static func sample(_ spec: CohortSpec, nominal: [String: Double]) throws -> VirtualCohort {
        var centre: [Double] = []
        for v in spec.variations {
            guard let x = nominal[v.id], x > 0, x.isFinite else {
                throw InputError(file: "", field: "cohort.parameters.\(v.id)",
                                 message: "'\(v.id)' has no positive nominal value to vary around (\(nominal[v.id].map(formatValue) ?? "none"))")
            }
            centre.append(x)
        }
        var members: [[Double]] = []
        members.reserveCapacity(spec.size)
        for k in 0 ..< spec.size {
            var rng = memberGenerator(seed: spec.seed, member: k)
            var row: [Double] = []
            for (j, v) in spec.variations.enumerated() {
                var x = centre[j] * Foundation.exp(v.sigma * rng.normal())
                if let m = v.maximum { x = min(x, m) }
                row.append(x)
            }
            members.append(row)
        }
        return VirtualCohort(spec: spec, nominal: centre, members: members)
    }

    /// Member k's own generator: SplitMix64 seeded with the first output of
    /// SplitMix64(seed + k·0x9E3779B97F4A7C15).
    public static func memberGenerator(seed: UInt64, member k: Int) -> SplitMix64 {
        var hash = SplitMix64(seed: seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
        return SplitMix64(seed: hash.next())
    }

    /// Member k's parameter values by id.
    public func values(_ k: Int) -> [String: Double] {
        var out: [String: Double] = [:]
        for (j, v) in spec.variations.enumerated() { out[v.id] = members[k][j] }
        return out
    }

    /// `member,<ids>` with every value written so that it reads back exactly.
    public func csv() -> String {
        var out = (["member"] + spec.variations.map(\.id)).joined(separator: ",") + "\n"
        for (k, row) in members.enumerated() {
            out += ([String(k)] + row.map(formatValue)).joined(separator: ",") + "\n"
        }
        return out
    }
}

// MARK: - Simulating parameter variants under a protocol

/// Ketamine and vehicle trajectories at the readout times: `[time][readout]`.
public struct ArmPair: Hashable, Sendable {
    public var vehicle: [[Double]]
    public var treated: [[Double]]
    public init(vehicle: [[Double]], treated: [[Double]]) {
        self.vehicle = vehicle
        self.treated = treated
    }
}

/// Runs the knockout-screen protocol for many parameter variants (lines, hypotheses, cohort
/// members) and inhibitor conditions with ONE compiled model: variants and drug doses are inputs.
///
/// Each variant is first settled without drugs for `settle` seconds (one simulation), and every
/// condition and arm of that variant starts from the settled state one minute before the first
/// protocol step — the same as the knockout screen's long pre-run, done once per variant.
public struct VariantScreen: Sendable {
    public let experiment: Experiment
    public let drugs: [String]
    public let compiled: CompiledModel
    public let options: SolverOptions
    /// Readouts and times simulated (default: the experiment's).
    public var readouts: [String]
    public var times: [Double]
    public var settle: Double

    /// Seconds before the first protocol step at which condition runs start.
    static let margin = 60.0

    public init(_ e: Experiment, drugs: [String], readouts: [String]? = nil, times: [Double]? = nil, settle: Double? = nil,
                options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10)) throws {
        experiment = e
        self.drugs = drugs
        self.options = options
        compiled = try CompiledModel(KnockoutScreen.screeningModel(e, drugs: drugs))
        self.readouts = readouts ?? e.readouts
        self.times = times ?? e.readoutTimes
        self.settle = settle ?? e.settle
    }

    /// Whether a simulation can set `id` (a constant parameter, compartment or species initial
    /// value that is not driven by a rule or the inhibitor panel).
    public func isSettable(_ id: String) -> Bool {
        guard compiled.inputPosition(id) != nil else { return false }
        return !id.hasSuffix("_dose") || !drugs.contains(String(id.dropLast(5)))
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

    /// `result[variant][condition]`: both arms of every condition for every variant. Failed
    /// simulations are reported with their reason; the rest go on. The same bytes whatever the
    /// number of threads (every task is independent and stored by index).
    public func run(variants: [[String: Double]], conditions: [Condition],
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Outcome]] {
        let start = experiment.protocolSteps.firstTime - Self.margin
        let outputs = readouts.map { OutputColumn($0) }
        let workers = max(1, threads)

        // Phase 1: settle each variant.
        let settled = SettledSlots(count: variants.count)
        if settle > 0 {
            let queue = TaskQueue(count: variants.count)
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, variants.count))) { _ in
                var sim: Simulator?
                while let v = queue.next() {
                    var inputs = variants[v]
                    inputs["treatment_on"] = 0
                    do {
                        if sim == nil { sim = try Simulator(compiled, options: options) }
                        _ = try sim!.simulate(times: [start], outputs: [], inputs: inputs, start: start - settle)
                        settled.set(v, .success(sim!.finalStates))
                    } catch {
                        settled.set(v, .failure("settling: \(error)"))
                    }
                }
            }
        }
        let states = settled.all()

        // Phase 2: every (variant, condition, arm).
        let perVariant = conditions.count * 2
        let store = ResultSlots(count: variants.count * perVariant)
        let queue = TaskQueue(count: variants.count * perVariant)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, variants.count * perVariant))) { _ in
            var sim: Simulator?
            while let k = queue.next() {
                let v = k / perVariant, c = (k % perVariant) / 2, arm = k % 2
                var initial: [Double]?
                if settle > 0 {
                    switch states[v] {
                    case .success(let s): initial = s
                    case .failure(let why): store.set(k, .failure(why)); continue
                    case .empty: store.set(k, .failure("not settled")); continue
                    }
                }
                var inputs = variants[v]
                inputs["treatment_on"] = Double(arm)
                for (d, conc) in conditions[c].inhibitors { inputs["\(d)_dose"] = conc }
                do {
                    if sim == nil { sim = try Simulator(compiled, options: options) }
                    let traj = try sim!.simulate(times: times, outputs: outputs, inputs: inputs, start: start, initialStates: initial)
                    store.set(k, .success((0 ..< times.count).map { r in (0 ..< outputs.count).map { traj[r, $0] } }))
                } catch {
                    store.set(k, .failure("\(error)"))
                }
            }
        }
        let raw = store.all()
        return (0 ..< variants.count).map { v in
            (0 ..< conditions.count).map { c in
                switch (raw[v * perVariant + 2 * c], raw[v * perVariant + 2 * c + 1]) {
                case (.success(let a), .success(let b)): return .success(ArmPair(vehicle: a, treated: b))
                case (.failure(let why), _), (_, .failure(let why)): return .failure(why)
                default: return .failure("not simulated")
                }
            }
        }
    }

    /// Simulations `run` performs for this many variants and conditions.
    public func simulationCount(variants: Int, conditions: Int) -> Int {
        variants * (conditions * 2 + (settle > 0 ? 1 : 0))
    }
}

final class SettledSlots: @unchecked Sendable {
    enum Slot { case empty, success([Double]), failure(String) }
    private let lock = NSLock()
    private var slots: [Slot]
    init(count: Int) { slots = Array(repeating: .empty, count: count) }
    func set(_ i: Int, _ s: Slot) { lock.lock(); slots[i] = s; lock.unlock() }
    func all() -> [Slot] { lock.lock(); defer { lock.unlock() }; return slots }
}

// MARK: - Ensemble predictions with their spread

/// One readout at one time under one condition, across an ensemble: the ketamine effect (log2
/// fold change vs vehicle under the same inhibitors) of every member, its spread, and how many
/// members give each call.
public struct EnsemblePrediction: Hashable, Sendable {
    public var condition: String
    public var readout: String
    public var time: Double
    /// One value per member that simulated (members in order).
    public var log2fc: [Double]
    public var median: Double
    /// The 5th and 95th percentiles (linear interpolation between order statistics).
    public var low: Double
    public var high: Double
    /// The share of members giving each call.
    public var shares: [Effect.Call: Double]
    /// The call that holds in at least the stated share of the ensemble, or nil (uncertain).
    public var consensus: Effect.Call?
}

public enum Ensemble {
    /// The q-quantile (0...1) of values, linear between order statistics (Hyndman & Fan type 7).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Predictions for every condition, readout and time, from `results[member][condition]`
    /// where condition 0 has no inhibitors (each member's own uninhibited effect is its
    /// reference for the retained share). A call is the consensus only when at least `share` of
    /// the members that simulated give it.
    public static func predictions(_ results: [[VariantScreen.Outcome]], conditions: [Condition], readouts: [String],
                                   times: [Double], thresholds: CallThresholds, share: Double) -> [EnsemblePrediction] {
        var out: [EnsemblePrediction] = []
        for (c, condition) in conditions.enumerated() {
            for (ti, time) in times.enumerated() {
                for (ri, readout) in readouts.enumerated() {
                    var fcs: [Double] = []
                    var counts: [Effect.Call: Int] = [:]
                    for member in results {
                        guard let ref = member.first?.value, let arms = member[c].value else { continue }
                        let refFC = KnockoutScreen.log2FoldChange(ref.vehicle[ti][ri], ref.treated[ti][ri]) ?? 0
                        let fc = KnockoutScreen.log2FoldChange(arms.vehicle[ti][ri], arms.treated[ti][ri])
                        let (_, call) = KnockoutScreen.judge(fc, reference: refFC, isReference: c == 0, thresholds)
                        if let fc { fcs.append(fc) }
                        counts[call, default: 0] += 1
                    }
                    let n = counts.values.reduce(0, +)
                    let sorted = fcs.sorted()
                    var shares: [Effect.Call: Double] = [:]
                    for (call, k) in counts { shares[call] = Double(k) / Double(max(n, 1)) }
                    let best = shares.filter { $0.value >= share }.max { $0.value < $1.value }?.key
                    out.append(EnsemblePrediction(condition: condition.id, readout: readout, time: time, log2fc: fcs,
                                                  median: quantile(sorted, 0.5), low: quantile(sorted, 0.05),
                                                  high: quantile(sorted, 0.95), shares: shares, consensus: best))
                }
            }
        }
        return out
    }
}

// MARK: - Responders and non-responders

/// Which simulated members count as responders and non-responders.
public struct ResponderDefinition: Hashable, Sendable {
    public enum Rule: Hashable, Sendable {
        /// Top third of the outcome = responders, bottom third = non-responders.
        case tertiles
        /// Outcome fold change ≥ `responder` = responders; ≤ `nonResponder` = non-responders.
        case thresholds(responder: Double, nonResponder: Double)
    }
    /// The outcome: ketamine's effect on this readout (log2 fold change vs the member's vehicle).
    public var readout: String
    public var time: Double
    public var rule: Rule

    public init(readout: String, time: Double, rule: Rule) {
        self.readout = readout
        self.time = time
        self.rule = rule
    }

    public var description: String {
        let outcome = "ketamine's effect on \(readout) at \(formatDuration(time)) (log2 fold change vs the member's own vehicle run)"
        switch rule {
        case .tertiles:
            return "responders: the top third of the cohort by \(outcome); non-responders: the bottom third"
        case .thresholds(let r, let n):
            return "responders: \(outcome) at least \(formatValue(r))-fold; non-responders: at most \(formatValue(n))-fold"
        }
    }
}

/// How one varied parameter differs between responders and non-responders.
public struct ParameterRanking: Hashable, Sendable {
    public var id: String
    /// Area under the ROC curve: the probability that a random responder has a higher value than
    /// a random non-responder (ties count half); 0.5 = no separation. The ranking statistic.
    public var auc: Double
    /// Standardised mean difference of ln value (responders − non-responders, pooled SD).
    public var cohenD: Double
    /// Median value in responders over median in non-responders.
    public var medianRatio: Double
    /// Spearman rank correlation of the value with the outcome over every member that simulated.
    public var spearman: Double
}

public enum Group: String, Hashable, Sendable { case responder, nonResponder = "non-responder", middle, failed }

public struct CohortAnalysis: Hashable, Sendable {
    public var definition: ResponderDefinition
    /// The outcome per member (nil when the member's simulation failed).
    public var outcome: [Double?]
    public var groups: [Group]
    /// Sorted by |AUC − 0.5|, largest first (then |d|, then id).
    public var ranking: [ParameterRanking]

    public static func analyse(_ cohort: VirtualCohort, outcome: [Double?], definition: ResponderDefinition) -> CohortAnalysis {
        let ok = outcome.enumerated().compactMap { k, v in v.map { (k, $0) } }
        var groups = [Group](repeating: .failed, count: outcome.count)
        switch definition.rule {
        case .tertiles:
            // Ranks by outcome (ties by member index), top and bottom thirds.
            let order = ok.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
            let third = order.count / 3
            for (r, k) in order.enumerated() {
                groups[k] = r < third ? .nonResponder : (r >= order.count - third ? .responder : .middle)
            }
        case .thresholds(let r, let n):
            for (k, v) in ok {
                groups[k] = v >= Foundation.log2(r) ? .responder : (v <= Foundation.log2(n) ? .nonResponder : .middle)
            }
        }
        let responders = groups.indices.filter { groups[$0] == .responder }
        let non = groups.indices.filter { groups[$0] == .nonResponder }
        var ranking: [ParameterRanking] = []
        for (j, v) in cohort.spec.variations.enumerated() {
            let a = responders.map { Foundation.log(cohort.members[$0][j]) }
            let b = non.map { Foundation.log(cohort.members[$0][j]) }
            let all = ok.map { Foundation.log(cohort.members[$0.0][j]) }
            ranking.append(ParameterRanking(
                id: v.id, auc: auc(a, b), cohenD: cohenD(a, b),
                medianRatio: Foundation.exp(Ensemble.quantile(a.sorted(), 0.5) - Ensemble.quantile(b.sorted(), 0.5)),
                spearman: spearman(all, ok.map(\.1))))
        }
        ranking.sort { x, y in
            let dx = abs(x.auc - 0.5), dy = abs(y.auc - 0.5)
            if dx != dy { return dx > dy }
            if abs(x.cohenD) != abs(y.cohenD) { return abs(x.cohenD) > abs(y.cohenD) }
            return x.id < y.id
        }
        return CohortAnalysis(definition: definition, outcome: outcome, groups: groups, ranking: ranking)
    }

    /// P(A > B) + ½ P(A = B) over all pairs (the Mann-Whitney U over n_A·n_B).
    static func auc(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .nan }
        var u = 0.0
        for x in a { for y in b { u += x > y ? 1 : (x == y ? 0.5 : 0) } }
        return u / Double(a.count * b.count)
    }

    static func cohenD(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count >= 2, b.count >= 2 else { return .nan }
        func meanVar(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
        }
        let (ma, va) = meanVar(a), (mb, vb) = meanVar(b)
        let pooled = ((Double(a.count - 1) * va + Double(b.count - 1) * vb) / Double(a.count + b.count - 2)).squareRoot()
        return pooled > 0 ? (ma - mb) / pooled : 0
    }

    /// Ranks with ties averaged.
    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i ... j { r[order[k]] = avg }
            i = j + 1
        }
        return r
    }

    static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count >= 3 else { return .nan }
        let rx = ranks(x), ry = ranks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}

// MARK: - The cohort experiment

/// A cohort experiment file (default `models/experiments/cohort.yaml`):
///
///     experiment: knockout_screen.yaml      # model, panel, protocol, readouts, times
///     line: ../lines/control.yaml           # optional: the line the cohort varies around
///     hypothesis: ../hypotheses/both_gated.yaml   # optional mechanism variant
///     settle: 10 d                          # optional (default: the experiment's)
///     conditions: [NBQX, naltrexone]        # optional inhibitor conditions besides none
///     cohort: {size: 100, seed: 1, cv: 0.25, parameters: {...}}
///     responder: {readout: spine_density, time: 72 h, rule: tertiles}
///     consensus: 0.8                        # share of members a call must hold in
public struct CohortExperiment: Sendable {
    public var file: String
    public var experiment: Experiment
    public var line: CellLine?
    public var hypothesis: Hypothesis?
    public var spec: CohortSpec
    public var responder: ResponderDefinition
    public var consensus: Double
    /// `none` first, then the listed inhibitor conditions at their typical concentrations.
    public var conditions: [Condition]
    public var settle: Double
    public var screen: VariantScreen

    /// `size`, `seed`, `readout` and `time` override the file's cohort size and seed and the
    /// responder outcome (a readout id and a duration such as `2 h`).
    public static func load(_ url: URL, size: Int? = nil, seed: UInt64? = nil, readout: String? = nil, time: String? = nil) throws -> CohortExperiment {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["experiment", "line", "hypothesis", "settle", "conditions", "cohort", "responder", "consensus", "description"])
        let base = url.deletingLastPathComponent()
        var experiment = try Experiment.load(try resolveInput(try root.required("experiment"), base: base))
        experiment.line = nil
        let settle = try root["settle"]?.duration() ?? experiment.settle

        var conditions = [Condition(id: "none", inhibitors: [:])]
        if let cs = root["conditions"] {
            for node in try cs.list() {
                let ids = try node.string().split(separator: "+").map { String($0).trimmingCharacters(in: .whitespaces) }
                var inh: [String: Double] = [:]
                for id in ids {
                    guard let drug = experiment.panel[id] else { throw node.error("unknown inhibitor '\(id)' (not in \(experiment.panel.file))") }
                    inh[id] = drug.typical
                }
                conditions.append(Condition(inhibitors: inh))
            }
        }
        var drugs: [String] = []
        for c in conditions { for d in c.inhibitors.keys.sorted() where !drugs.contains(d) { drugs.append(d) } }

        // The responder outcome must be simulated: add its readout and time if the experiment lacks them.
        let rNode = try root.required("responder")
        try rNode.allowOnly(["readout", "time", "rule", "responder_fold", "nonresponder_fold"])
        let rReadoutNode = try rNode.required("readout")
        let rReadout = try readout ?? rReadoutNode.string()
        var rTime = try rNode.required("time").duration()
        if let time {
            guard let t = Units.seconds(time), t >= 0 else {
                throw InputError(file: url.path, field: "--time", message: "cannot read '\(time)' as a time (write e.g. 2 h, 72 h, 3 d)")
            }
            rTime = t
        }
        let ruleText = try rNode["rule"]?.string() ?? "tertiles"
        let rule: ResponderDefinition.Rule
        switch ruleText {
        case "tertiles": rule = .tertiles
        case "thresholds":
            let r = try rNode.required("responder_fold").double(), n = try rNode.required("nonresponder_fold").double()
            guard r > 0, n > 0, n < r else { throw rNode.error("need 0 < nonresponder_fold < responder_fold") }
            rule = .thresholds(responder: r, nonResponder: n)
        default: throw try rNode.required("rule").error("rule must be tertiles or thresholds, got '\(ruleText)'")
        }
        var readouts = experiment.readouts
        if !readouts.contains(rReadout) { readouts.append(rReadout) }
        let times = Array(Set(experiment.readoutTimes + [rTime])).sorted()
        let screen = try VariantScreen(experiment, drugs: drugs, readouts: readouts, times: times, settle: settle)
        guard screen.compiled.reportableIds.contains(rReadout) else {
            if readout != nil {
                throw InputError(file: url.path, field: "--readout", message: "unknown readout '\(rReadout)' in model '\(experiment.model.id)'"
                    + Spelling.didYouMean(rReadout, among: screen.compiled.reportableIds))
            }
            throw rReadoutNode.error("unknown readout '\(rReadout)' in model '\(experiment.model.id)'")
        }

        var line: CellLine?
        if let l = root["line"] { line = try loadCheckedLine(l, base: base, screen: screen) }
        var hypothesis: Hypothesis?
        if let h = root["hypothesis"] {
            hypothesis = try Hypothesis.load(try resolveInput(h, base: base), settable: screen.isSettable)
        }
        var spec = try CohortSpec.load(try root.required("cohort"), settable: screen.isSettable)
        if let size {
            guard size >= 2 else { throw InputError(file: url.path, field: "--size", message: "a cohort needs at least 2 members") }
            spec.size = size
        }
        if let seed { spec.seed = seed }
        let consensus = try root["consensus"]?.double() ?? 0.8
        guard consensus > 0.5, consensus <= 1 else {
            throw try root.required("consensus").error("the consensus share must be above 0.5 and at most 1, got \(consensus)")
        }
        return CohortExperiment(file: url.path, experiment: experiment, line: line, hypothesis: hypothesis, spec: spec,
                                responder: ResponderDefinition(readout: rReadout, time: rTime, rule: rule),
                                consensus: consensus, conditions: conditions, settle: settle, screen: screen)
    }

    /// Parameter values every member starts from: the line's, then the hypothesis's.
    public var baseValues: [String: Double] {
        var v = line?.values ?? [:]
        for (k, x) in hypothesis?.values ?? [:] { v[k] = x }
        return v
    }
}

public struct CohortResult: Sendable {
    public var experiment: CohortExperiment
    public var cohort: VirtualCohort
    public var predictions: [EnsemblePrediction]
    public var analysis: CohortAnalysis
    /// Members whose simulations failed, with the reason.
    public var failures: [(member: Int, reason: String)]
    public var simulations: Int
    public var seconds: Double
}

public enum CohortRunner {
    public static func run(_ ce: CohortExperiment, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> CohortResult {
        let started = Date()
        let base = ce.baseValues
        var nominal: [String: Double] = [:]
        for v in ce.spec.variations { nominal[v.id] = base[v.id] ?? ce.screen.nominal(v.id) }
        let cohort: VirtualCohort
        do { cohort = try VirtualCohort.sample(ce.spec, nominal: nominal) } catch var e as InputError {
            e.file = ce.file
            throw e
        }
        let variants = (0 ..< cohort.members.count).map { k in base.merging(cohort.values(k)) { _, b in b } }
        let results = ce.screen.run(variants: variants, conditions: ce.conditions, threads: threads)
        var failures: [(Int, String)] = []
        for (k, r) in results.enumerated() {
            if case .failure(let why) = r[0] { failures.append((k, why)) }
        }
        let predictions = Ensemble.predictions(results, conditions: ce.conditions, readouts: ce.screen.readouts,
                                               times: ce.screen.times, thresholds: ce.experiment.thresholds, share: ce.consensus)
        let ti = ce.screen.times.firstIndex(of: ce.responder.time)!
        let ri = ce.screen.readouts.firstIndex(of: ce.responder.readout)!
        let outcome: [Double?] = results.map { r in
            r[0].value.flatMap { KnockoutScreen.log2FoldChange($0.vehicle[ti][ri], $0.treated[ti][ri]) }
        }
        let analysis = CohortAnalysis.analyse(cohort, outcome: outcome, definition: ce.responder)
        return CohortResult(experiment: ce, cohort: cohort, predictions: predictions, analysis: analysis, failures: failures,
                            simulations: ce.screen.simulationCount(variants: variants.count, conditions: ce.conditions.count),
                            seconds: Date().timeIntervalSince(started))
    }
}

extension CohortResult {
    /// The report for people: the cohort, the ensemble predictions with their spread, and the
    /// parameters ranked by how well they separate responders from non-responders.
    public func table() -> String {
        let e = experiment
        func f(_ v: Double, _ d: Int = 2) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "n/a" }
        var out = "Virtual cohort: \(cohort.members.count) members, seed \(e.spec.seed), "
        out += "line \(e.line?.id ?? "(model nominal)"), hypothesis \(e.hypothesis?.id ?? "(model as written)").\n"
        out += "Sampling: each varied parameter log-normal with its median at the nominal value, ln X ~ N(ln nominal, ln(1+CV²)); "
        out += "member k uses its own SplitMix64 stream, seeded by the first output of SplitMix64(seed + k·0x9E3779B97F4A7C15).\n"
        out += "Protocol: the experiment's (\(URL(fileURLWithPath: e.experiment.file).lastPathComponent)); each member settled \(formatDuration(e.settle)) without drug first.\n\n"

        out += "Varied parameters:\n"
        let idWidth = max(10, e.spec.variations.map(\.id.count).max() ?? 0) + 2
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
        out += pad("parameter", idWidth) + pad("nominal", 12) + pad("CV", 6) + "source\n"
        for (j, v) in e.spec.variations.enumerated() {
            out += pad(v.id, idWidth) + pad(String(format: "%.4g", cohort.nominal[j]), 12) + pad(f(v.cv), 6)
                + (v.source.isEmpty ? "assumed" : v.source) + (v.maximum.map { " (capped at \(formatValue($0)))" } ?? "") + "\n"
        }

        out += "\nEnsemble predictions: ketamine's effect (log2 fold change vs vehicle under the same inhibitors), "
        out += "median [5%, 95%] over members; a call is given only when at least \(Int((e.consensus * 100).rounded()))% of members agree, else 'uncertain'.\n"
        let rw = max(12, e.screen.readouts.map(\.count).max() ?? 0) + 2
        let cw = max(10, e.conditions.map(\.id.count).max() ?? 0) + 2
        out += pad("condition", cw) + pad("readout", rw) + pad("time", 8) + pad("median [5%, 95%]", 26) + "call (share)\n"
        for p in predictions {
            let call = p.consensus.map { "\($0.rawValue) (\(Int(((p.shares[$0] ?? 0) * 100).rounded()))%)" }
                ?? ("uncertain (" + p.shares.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \(Int(($0.value * 100).rounded()))%" }.joined(separator: ", ") + ")")
            out += pad(p.condition, cw) + pad(p.readout, rw) + pad(formatDuration(p.time), 8)
                + pad("\(f(p.median)) [\(f(p.low)), \(f(p.high))]", 26) + call + "\n"
        }

        let a = analysis
        let nR = a.groups.filter { $0 == .responder }.count, nN = a.groups.filter { $0 == .nonResponder }.count
        out += "\nResponder definition: \(a.definition.description). \(nR) responders, \(nN) non-responders"
        if !failures.isEmpty { out += ", \(failures.count) members failed to simulate" }
        out += ".\n"
        let outcomes = a.outcome.compactMap { $0 }.sorted()
        out += "Outcome over the cohort: median \(f(Ensemble.quantile(outcomes, 0.5), 3)) [5%: \(f(Ensemble.quantile(outcomes, 0.05), 3)), 95%: \(f(Ensemble.quantile(outcomes, 0.95), 3))] log2 fold.\n\n"
        out += "Parameters ranked by how well they separate responders from non-responders.\n"
        out += "Ranking statistic: |AUC − 0.5|, where AUC is the probability that a random responder has a higher value than a random non-responder "
        out += "(0.5 = no separation, 1 = every responder higher, 0 = every responder lower). Also: Cohen's d of ln value, "
        out += "the ratio of group medians, and the Spearman correlation of the value with the outcome over the whole cohort.\n"
        out += pad("rank", 6) + pad("parameter", idWidth) + pad("AUC", 7) + pad("d", 7) + pad("R/NR", 7) + pad("Spearman", 10) + "direction in responders\n"
        for (i, r) in a.ranking.enumerated() {
            let dir = abs(r.auc - 0.5) < 0.05 ? "no difference" : (r.auc > 0.5 ? "higher" : "lower")
            out += pad("\(i + 1)", 6) + pad(r.id, idWidth) + pad(f(r.auc), 7) + pad(f(r.cohenD), 7) + pad(f(r.medianRatio), 7)
                + pad(f(r.spearman), 10) + dir + "\n"
        }
        for fl in failures.prefix(5) { out += "member \(fl.member) failed: \(fl.reason)\n" }
        out += String(format: "\n%d simulations in %.2f s\n", simulations, seconds)
        return out
    }

    /// One row per member: sampled values, outcome and group.
    public func membersCSV() -> String {
        var out = (["member"] + cohort.spec.variations.map(\.id) + ["outcome_log2fc", "group"]).joined(separator: ",") + "\n"
        for (k, row) in cohort.members.enumerated() {
            out += ([String(k)] + row.map(formatValue) + [analysis.outcome[k].map(formatValue) ?? "", analysis.groups[k].rawValue])
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// The ranking as CSV.
    public func rankingCSV() -> String {
        var out = "rank,parameter,auc,cohen_d,median_ratio,spearman\n"
        for (i, r) in analysis.ranking.enumerated() {
            out += [String(i + 1), r.id, formatValue(r.auc), formatValue(r.cohenD), formatValue(r.medianRatio), formatValue(r.spearman)]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}

// MARK: - Input helpers shared with the planner

/// A path in an input file, relative to that file; the file must exist.
func resolveInput(_ v: YAMLValue, base: URL) throws -> URL {
    let p = try v.string()
    let u = p.hasPrefix("/") ? URL(fileURLWithPath: p) : base.appendingPathComponent(p)
    guard FileManager.default.fileExists(atPath: u.path) else { throw v.error("no such file: \(u.path)") }
    return u
}

/// Loads a line file and checks that every parameter it sets is settable, with the error at the
/// parameter's line in the line file.
func loadCheckedLine(_ v: YAMLValue, base: URL, screen: VariantScreen) throws -> CellLine {
    let url = try resolveInput(v, base: base)
    let line = try CellLine.load(url)
    let root = try YAMLValue.load(url)
    for (id, node) in try root.required("parameters").entries() where !screen.isSettable(id) {
        throw node.error("line '\(line.id)' sets unknown parameter '\(id)': not a constant parameter of model '\(screen.experiment.model.id)' that a simulation can set")
    }
    return line
}
