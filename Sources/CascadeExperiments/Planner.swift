import CascadeCore
import CascadeSolver
import Foundation

// MARK: - Hypotheses

/// A mechanism hypothesis: a named set of parameter values (switches and route weights) over the
/// one model, e.g. models/hypotheses/direct_gated.yaml:
///
///     id: direct_gated
///     description: The direct route alone, with the opioid gate.
///     parameters:
///       route_direct: {value: 1, note: "..."}
///       route_disinhibition: {value: 0}
///       opioid_gate: 1
public struct Hypothesis: Hashable, Sendable {
    public var id: String
    public var description: String
    public var values: [String: Double]
    /// Parameter ids in file order.
    public var order: [String]
    public var file: String

    public init(id: String, description: String = "", values: [String: Double], order: [String]? = nil, file: String = "") {
        self.id = id
        self.description = description
        self.values = values
        self.order = order ?? values.keys.sorted()
        self.file = file
    }

    /// Loads a hypothesis file; every parameter must be one a simulation can set (`settable`),
    /// else the error names the file, line and field.
    public static func load(_ url: URL, settable: (String) -> Bool) throws -> Hypothesis {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["id", "description", "parameters", "sources", "rationale"])
        let id = try root.required("id").string()
        var values: [String: Double] = [:]
        var order: [String] = []
        let params = try root.required("parameters")
        for (p, v) in try params.entries() {
            guard settable(p) else {
                throw v.error("hypothesis '\(id)' sets unknown parameter '\(p)': not a constant parameter of the model that a simulation can set")
            }
            if case .mapping = v.node {
                try v.allowOnly(["value", "note", "source", "confidence"])
                values[p] = try v.required("value").double()
            } else {
                values[p] = try v.double()
            }
            order.append(p)
        }
        guard !values.isEmpty else { throw params.error("a hypothesis sets at least one parameter") }
        return Hypothesis(id: id, description: try root["description"]?.string().trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
                          values: values, order: order, file: url.path)
    }

    /// `route_direct=1, route_disinhibition=0, ...`
    public var summary: String { order.map { "\($0)=\(formatNumber(values[$0]!))" }.joined(separator: ", ") }
}

// MARK: - Assay noise

/// Well-to-well variability of each readout: a coefficient of variation per readout type. A
/// well's measurement is log-normal around the predicted value, σ(ln) = √ln(1 + CV²).
public struct NoiseModel: Hashable, Sendable {
    public struct Kind: Hashable, Sendable {
        public var name: String
        public var cv: Double
        public var readouts: [String]
        public var source: String
    }
    public var kinds: [Kind]

    public func kind(of readout: String) -> Kind? { kinds.first { $0.readouts.contains(readout) } }
    public func sigma(_ readout: String) -> Double? { kind(of: readout).map { Foundation.log(1 + $0.cv * $0.cv).squareRoot() } }
}

// MARK: - The plate

public struct PlateSpec: Hashable, Sendable {
    public var wells: Int
    public var replicates: Int
    /// Leave the outer ring empty (edge wells evaporate faster and read differently).
    public var excludeEdges: Bool

    public var rows: Int { wells == 384 ? 16 : 8 }
    public var columns: Int { wells == 384 ? 24 : 12 }

    public static func rowName(_ r: Int) -> String { String(UnicodeScalar(UInt8(65 + r))) }

    public func isEdge(row r: Int, column c: Int) -> Bool { r == 0 || c == 0 || r == rows - 1 || c == columns - 1 }

    /// Usable wells in filling order: row by row (A1, A2, ... A12, B1, ...), edges skipped if asked.
    public var usableWells: [(row: Int, column: Int)] {
        var out: [(Int, Int)] = []
        for r in 0 ..< rows { for c in 0 ..< columns where !(excludeEdges && isEdge(row: r, column: c)) { out.append((r, c)) } }
        return out
    }
}

// MARK: - The plan experiment

/// A plan experiment file (default models/experiments/plan.yaml). See that file for every field.
///
///     experiment: knockout_screen.yaml      # model, panel, protocol, readouts and times
///     hypotheses: [../hypotheses/both_gated.yaml, ...]
///     candidates:
///       inhibitors: [NBQX, naltrexone, ...]           # singles
///       combinations: {of: [NBQX, rapamycin], up_to: 2}
///       doses: {naltrexone: [10 nM, 1 uM]}            # default: each drug's typical concentration
///       lines: [../lines/control.yaml, ...]           # default: the model as written
///       times: [2 h, 72 h]                            # default: the experiment's times
///     readouts: [p_eEF2, ...]               # default: the experiment's
///     noise: {western: {cv: 0.2, readouts: [...], source: "..."}, ...}
///     plate: {wells: 96, replicates: 3, exclude_edges: false, include: [...]}
///     target_separation: 4
///     detection_floor: 0.05
///     settle: 5 d
public struct PlanSpec: Sendable {
    public struct Inclusion: Hashable, Sendable {
        public var line: Int
        public var time: Int
        public var condition: Condition
    }

    public var file: String
    public var experiment: Experiment
    public var hypotheses: [Hypothesis]
    /// Lines; a nil line is the model as written.
    public var lines: [CellLine]
    public var times: [Double]
    public var readouts: [String]
    /// Inhibitor conditions, without `none`.
    public var candidates: [Condition]
    public var noise: NoiseModel
    public var plate: PlateSpec
    public var targetSeparation: Double
    public var detectionFloor: Double
    /// A step must raise the criterion by at least this much (noise units) to be worth its wells.
    public var minimumGain: Double
    public var includes: [Inclusion]
    public var screen: VariantScreen

    /// The treatment the protocol adds (e.g. `ketamine`).
    public var treatmentName: String { experiment.treatments.map(\.id).joined(separator: "+") }

    public static func load(_ url: URL, wells: Int? = nil, replicates: Int? = nil) throws -> PlanSpec {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["experiment", "hypotheses", "candidates", "readouts", "noise", "plate", "target_separation",
                            "detection_floor", "minimum_gain", "settle", "description"])
        let base = url.deletingLastPathComponent()
        var experiment = try Experiment.load(try resolveInput(try root.required("experiment"), base: base))
        experiment.line = nil
        let panel = experiment.panel

        // Candidate inhibitor conditions.
        let cand = try root.required("candidates")
        try cand.allowOnly(["inhibitors", "combinations", "doses", "lines", "times"])
        var screenSpec = Experiment.Screen(singles: [])
        if let s = cand["inhibitors"] { screenSpec.singles = try s.list().map { try $0.string() } }
        if let c = cand["combinations"] {
            try c.allowOnly(["of", "up_to"])
            screenSpec.combine = try c.required("of").list().map { try $0.string() }
            let k = try c.required("up_to")
            screenSpec.maxCombination = try k.int()
            guard screenSpec.maxCombination >= 1 else { throw k.error("must be at least 1") }
        }
        if let d = cand["doses"] {
            for (id, grid) in try d.entries() {
                let doses = try grid.listOrSingle().map { try $0.concentration() }
                guard !doses.isEmpty, doses.allSatisfy({ $0 > 0 }) else { throw grid.error("doses must be positive") }
                screenSpec.doses[id] = doses
            }
        }
        for (i, id) in screenSpec.singles.enumerated() where panel[id] == nil {
            throw (try cand.required("inhibitors").list()[i]).error("unknown inhibitor '\(id)' (not in \(panel.file))")
        }
        for id in screenSpec.combine + Array(screenSpec.doses.keys) where panel[id] == nil {
            throw cand.error("unknown inhibitor '\(id)' (not in \(panel.file))")
        }
        var withScreen = experiment
        withScreen.screen = screenSpec
        let candidates = Array(withScreen.conditions.dropFirst())
        guard !candidates.isEmpty else { throw cand.error("list at least one candidate inhibitor") }

        // Readouts and times.
        var readouts = experiment.readouts
        let readoutNode = root["readouts"]
        if let r = readoutNode { readouts = try r.list().map { try $0.string() } }
        var times = experiment.readoutTimes
        if let t = cand["times"] {
            times = try t.list().map { try $0.duration() }.sorted()
            guard !times.isEmpty else { throw t.error("give at least one readout time") }
            guard Set(times).count == times.count else { throw t.error("readout times must differ") }
        }
        let settle = try root["settle"]?.duration() ?? experiment.settle
        var drugs: [String] = []
        for c in candidates { for d in c.inhibitors.keys.sorted() where !drugs.contains(d) { drugs.append(d) } }

        // Forced inclusions may name drugs too.
        let plateNode = try root.required("plate")
        try plateNode.allowOnly(["wells", "replicates", "exclude_edges", "include"])
        var includeNodes: [YAMLValue] = []
        if let inc = plateNode["include"] { includeNodes = try inc.list() }
        var includedConditions: [Condition] = []
        for n in includeNodes {
            try n.allowOnly(["line", "time", "inhibitors"])
            var inh: [String: Double] = [:]
            if let i = n["inhibitors"] {
                for (id, c) in try i.entries() {
                    guard panel[id] != nil else { throw c.error("unknown inhibitor '\(id)' (not in \(panel.file))") }
                    inh[id] = try c.concentration()
                }
            }
            let cond = inh.isEmpty ? Condition(id: "none", inhibitors: [:]) : Condition(inhibitors: inh)
            includedConditions.append(cond)
            for d in inh.keys.sorted() where !drugs.contains(d) { drugs.append(d) }
        }

        let screen = try VariantScreen(experiment, drugs: drugs, readouts: readouts, times: times, settle: settle)
        if let r = readoutNode {
            for (i, id) in readouts.enumerated() where !screen.compiled.reportableIds.contains(id) {
                throw (try r.list()[i]).error("unknown readout '\(id)' in model '\(experiment.model.id)'")
            }
        }

        // Hypotheses.
        let hNode = try root.required("hypotheses")
        var hypotheses: [Hypothesis] = []
        for h in try hNode.list() {
            let hyp = try Hypothesis.load(try resolveInput(h, base: base), settable: screen.isSettable)
            if hypotheses.contains(where: { $0.id == hyp.id }) { throw h.error("two hypotheses have the id '\(hyp.id)'") }
            hypotheses.append(hyp)
        }
        guard hypotheses.count >= 2 else { throw hNode.error("give at least two hypotheses to tell apart") }

        // Lines.
        var lines: [CellLine] = []
        if let l = cand["lines"] {
            for n in try l.list() {
                let line = try loadCheckedLine(n, base: base, screen: screen)
                if lines.contains(where: { $0.id == line.id }) { throw n.error("two lines have the id '\(line.id)'") }
                for h in hypotheses {
                    for id in line.values.keys.sorted() where h.values[id] != nil {
                        throw n.error("line '\(line.id)' and hypothesis '\(h.id)' both set '\(id)'; a hypothesis is a mechanism switch, a line a parameter set — keep them apart")
                    }
                }
                lines.append(line)
            }
        }
        if lines.isEmpty { lines = [CellLine(id: "model", description: "the model as written", values: [:])] }

        // Noise.
        let noiseNode = try root.required("noise")
        var kinds: [NoiseModel.Kind] = []
        for (name, v) in try noiseNode.entries() {
            try v.allowOnly(["cv", "readouts", "source", "confidence"])
            let cvNode = try v.required("cv")
            let cv = try cvNode.double()
            guard cv > 0 else { throw cvNode.error("the coefficient of variation must be positive") }
            kinds.append(.init(name: name, cv: cv, readouts: try v.required("readouts").list().map { try $0.string() },
                               source: try v["source"]?.string() ?? "assumed"))
        }
        let noise = NoiseModel(kinds: kinds)
        for id in readouts where noise.kind(of: id) == nil {
            throw (readoutNode ?? noiseNode).error("readout '\(id)' has no noise entry: list it under one of the noise kinds")
        }

        // Plate.
        var plate = PlateSpec(wells: 96, replicates: 3, excludeEdges: false)
        let wellsNode = plateNode["wells"], repNode = plateNode["replicates"]
        if let w = wellsNode { plate.wells = try w.int() }
        if let r = repNode { plate.replicates = try r.int() }
        if let e = plateNode["exclude_edges"] { plate.excludeEdges = try e.bool() }
        func plateError(_ node: YAMLValue?, _ option: String?, _ message: String) -> InputError {
            var e = (node ?? plateNode).error(message)
            if let option { e.message += " (\(option) on the command line)" }
            return e
        }
        if let w = wells { plate.wells = w }
        if let r = replicates { plate.replicates = r }
        guard plate.wells == 96 || plate.wells == 384 else {
            throw plateError(wellsNode, wells.map { "--wells \($0)" }, "a plate has 96 or 384 wells, got \(plate.wells)")
        }
        guard plate.replicates >= 1 else {
            throw plateError(repNode, replicates.map { "--replicates \($0)" }, "replicates must be at least 1, got \(plate.replicates)")
        }

        // Inclusions: resolve lines and times.
        var includes: [Inclusion] = []
        for (n, cond) in zip(includeNodes, includedConditions) {
            let lineId = try n["line"]?.string() ?? lines[0].id
            guard let li = lines.firstIndex(where: { $0.id == lineId }) else {
                throw try n.required("line").error("unknown line '\(lineId)' (candidate lines: \(lines.map(\.id).joined(separator: ", ")))")
            }
            let t = try n["time"]?.duration() ?? times[0]
            guard let ti = times.firstIndex(of: t) else {
                throw try n.required("time").error("\(formatDuration(t)) is not a candidate readout time (\(times.map(formatDuration).joined(separator: ", ")))")
            }
            includes.append(Inclusion(line: li, time: ti, condition: cond))
        }

        // Required wells: one group's vehicle and treatment-only controls, and every inclusion
        // with its inhibitor-only control and its group's controls.
        var groups = Set<Int>(), cells = Set<String>()
        var required = 0
        if includes.isEmpty { required = 2 * plate.replicates }
        for inc in includes {
            if groups.insert(inc.line * times.count + inc.time).inserted { required += 2 * plate.replicates }
            if !inc.condition.inhibitors.isEmpty, cells.insert("\(inc.line)/\(inc.time)/\(inc.condition.id)").inserted {
                required += 2 * plate.replicates
            }
        }
        let capacity = plate.usableWells.count
        if required > capacity {
            let what = includes.isEmpty ? "vehicle and \(experiment.treatments.first!.id)-only controls" :
                "vehicle and \(experiment.treatments.first!.id)-only controls, the included conditions and their inhibitor-only controls"
            let node = includes.isEmpty ? repNode : plateNode["include"]
            throw plateError(node, replicates.map { "--replicates \($0)" },
                             "the required wells (\(what), \(plate.replicates) replicate\(plate.replicates == 1 ? "" : "s") each: \(required) wells) do not fit the \(capacity) usable wells of a \(plate.wells)-well plate\(plate.excludeEdges ? " without its edge wells" : "")")
        }

        let target = try root["target_separation"]?.double() ?? 4
        guard target > 0 else { throw try root.required("target_separation").error("must be positive") }
        let floor = try root["detection_floor"]?.double() ?? 0.05
        guard floor >= 0, floor < 1 else { throw try root.required("detection_floor").error("must be in [0, 1)") }
        let minimumGain = try root["minimum_gain"]?.double() ?? 0.1
        guard minimumGain > 0 else { throw try root.required("minimum_gain").error("must be positive") }

        return PlanSpec(file: url.path, experiment: experiment, hypotheses: hypotheses, lines: lines, times: times, readouts: readouts,
                        candidates: candidates, noise: noise, plate: plate, targetSeparation: target, detectionFloor: floor,
                        minimumGain: minimumGain, includes: includes, screen: screen)
    }

    /// The parameter values of hypothesis h on line l.
    public func variant(hypothesis h: Int, line l: Int) -> [String: Double] {
        lines[l].values.merging(hypotheses[h].values) { _, b in b }
    }
}

// MARK: - The plan

public struct PlateWell: Hashable, Sendable {
    public enum Role: String, Hashable, Sendable {
        /// No treatment, no inhibitor.
        case vehicle
        /// The treatment (ketamine) alone.
        case treatmentOnly = "treatment_only"
        /// The inhibitor(s) alone, without the treatment.
        case inhibitorOnly = "inhibitor_only"
        /// The treatment under the inhibitor(s): the tested condition.
        case test
        case empty
        /// An edge well left out on purpose.
        case excluded
    }
    public var well: String
    public var row: String
    public var column: Int
    public var role: Role
    /// The treatment id for treated wells, `vehicle` for untreated ones, empty for unused wells.
    public var treatment: String
    /// Inhibitor ids (sorted).
    public var inhibitors: [String]
    /// Their concentrations in µM, in the same order.
    public var concentrations: [Double]
    public var replicate: Int?
    public var line: String?
    /// Seconds after the treatment at which the well is read.
    public var time: Double?
    /// Index into `PlanResult.cells`.
    public var cell: Int?
}

/// A kind of well on the plate: line, readout time, inhibitors and arm. Every replicate of a cell
/// is the same experiment.
public struct PlateCell: Hashable, Sendable {
    public var line: Int
    public var time: Int
    public var condition: Condition
    public var treated: Bool
    public var role: PlateWell.Role
}

/// One decision of the planner: a condition added with the controls it needs.
public struct PlanStep: Sendable {
    public enum Reason: String, Sendable { case included, greedy, baseline }
    public var reason: Reason
    public var line: Int
    public var time: Int
    public var condition: Condition
    /// Whether the step opened its (line, time) group, adding vehicle and treatment-only controls.
    public var opensGroup: Bool
    public var wells: Int
    /// The smallest pairwise separation over separable pairs, before and after (noise units).
    public var minBefore: Double
    public var minAfter: Double
    /// Pairwise separations after the step (order of `PlanResult.pairs`).
    public var separations: [Double]
    /// Separation gained per pair.
    public var gains: [Double]
    /// Predicted treatment effect (log2 fold change) under each hypothesis, `[hypothesis][readout]`:
    /// treated vs untreated under the step's inhibitors (treatment-only vs vehicle for `none`).
    public var effects: [[Double]]
    /// The same for the group's treatment-only control when the step opened the group.
    public var controlEffects: [[Double]]?
    /// The inhibitors' own effect (log2 of inhibitor-only over vehicle), `[hypothesis][readout]`,
    /// when the step adds inhibitor-only wells.
    public var inhibitorEffects: [[Double]]?
    /// Readout indices ordered by their share of the step's separation gain, largest first.
    public var keyReadouts: [Int]
}

public struct PlanResult: Sendable {
    public var spec: PlanSpec
    public var wells: [PlateWell]
    public var cells: [PlateCell]
    public var steps: [PlanStep]
    /// Hypothesis index pairs (i < j).
    public var pairs: [(Int, Int)]
    /// Final pairwise separations (noise units), in `pairs` order.
    public var separations: [Double]
    /// Pairs no candidate condition can separate (all predictions equal within the noise floor).
    public var inseparable: [Int]
    /// The step after which every separable pair reached the target, and the wells used by then.
    public var targetReached: (step: Int, wells: Int)?
    /// Candidate conditions dropped because a simulation failed, with the reason.
    public var dropped: [(line: String, condition: String, reason: String)]
    public var simulations: Int
    public var simulationSeconds: Double
    public var seconds: Double

    public var usedWells: Int { wells.filter { $0.cell != nil }.count }
}

/// The plate planner.
///
/// **Criterion.** Each well is measured with log-normal noise (σ of ln = √ln(1 + CV²), CV per
/// readout type). As on a real plate, wells are read against the vehicle wells of their (line,
/// readout time) group, and each well set is credited with the one new contrast it adds (ln values,
/// V vehicle, K treatment only, I inhibitors only, KI treatment under the inhibitors):
///
///     treatment-only:   Δ = ln K − ln V                   SE σ√(2/n)
///     inhibitor-only:   Δ = ln I − ln V                   SE σ√(2/n)
///     treated + inhib.: Δ = ln KI − ln I − ln K + ln V    SE σ√(4/n)   (the change the inhibitors
///                                                           make to the treatment's effect)
///
/// Two hypotheses h, k are separated by the z-scores of their predicted differences, summed in
/// quadrature over every well set and readout on the plate (treated as independent):
///
///     D(h,k)² = Σ_well sets Σ_readouts (Δ_h − Δ_k)² / SE²
///
/// A likelihood-ratio test picks the wrong one of two hypotheses at distance D with probability
/// Φ(−D/2): D = 4 gives 2.3%, the default target. A well set whose contrast is predicted the same
/// under every hypothesis adds nothing — in particular an inhibitor that leaves the treatment's
/// effect alone under every hypothesis is not credited for re-measuring that effect. Predicted
/// values below `detection_floor` × the group's vehicle level are read as that floor (a band too
/// faint to quantify carries no information).
///
/// **Greedy maximin.** Candidates are (line, time, inhibitor condition) triples; choosing one
/// places `replicates` wells of the treatment under the inhibitors and of the inhibitors alone,
/// plus the group's vehicle and treatment-only controls if the group is new (choosing the `none`
/// condition opens a group with its controls only). Each step takes the candidate that fits in the
/// free wells and most raises the smallest separation over separable pairs, per well it uses; when
/// no candidate raises it by at least `minimum_gain` (default 0.1 noise units: the smallest pair is
/// tied or out of reach of one step), the one that most raises Σ_pairs min(D, target) per well. It
/// stops when the plate is full or the best step adds less than `minimum_gain`, so wells are not
/// spent on conditions that tell nothing apart. Ties go to the earlier candidate (lines, then times,
/// then conditions in file order), so plans are deterministic.
///
/// **Layout.** Cells in the order they were chosen; replicate 1 of every cell first, then
/// replicate 2, ..., filling usable wells row by row: each cell's replicates fall in different
/// bands of the plate, so a gradient across the plate does not line up with a condition.
public enum Planner {
    public static let epsilon = 1e-3

    public static func plan(_ spec: PlanSpec, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> PlanResult {
        let started = Date()
        let H = spec.hypotheses.count, L = spec.lines.count, T = spec.times.count, R = spec.readouts.count
        let conditions = [Condition(id: "none", inhibitors: [:])] + spec.candidates
            + spec.includes.map(\.condition).filter { c in !spec.candidates.contains(c) && !c.inhibitors.isEmpty }
        var uniqueConditions: [Condition] = []
        for c in conditions where !uniqueConditions.contains(c) { uniqueConditions.append(c) }

        // Simulate every hypothesis × line (variants) under every condition.
        var variants: [[String: Double]] = []
        for h in 0 ..< H { for l in 0 ..< L { variants.append(spec.variant(hypothesis: h, line: l)) } }
        let simStart = Date()
        let results = spec.screen.run(variants: variants, conditions: uniqueConditions, threads: threads)
        let simulationSeconds = Date().timeIntervalSince(simStart)
        let condIndex = Dictionary(uniqueKeysWithValues: uniqueConditions.enumerated().map { ($1.id, $0) })

        // Values y[h][l][c][arm][t][r]; a (line, condition) is usable only if every hypothesis simulated.
        var dropped: [(String, String, String)] = []
        var usable = [[Bool]](repeating: [Bool](repeating: true, count: uniqueConditions.count), count: L)
        for l in 0 ..< L {
            for c in uniqueConditions.indices {
                for h in 0 ..< H {
                    if case .failure(let why) = results[h * L + l][c] {
                        if usable[l][c] { dropped.append((spec.lines[l].id, uniqueConditions[c].id, "hypothesis \(spec.hypotheses[h].id): \(why)")) }
                        usable[l][c] = false
                    }
                }
            }
        }
        guard (0 ..< L).contains(where: { usable[$0][0] }) else {
            throw PlanError.noUsableLine(dropped.first.map { "\($0.0): \($0.2)" } ?? "")
        }
        func value(_ h: Int, _ l: Int, _ c: Int, _ treated: Bool, _ t: Int, _ r: Int) -> Double {
            let arms = results[h * L + l][c].value!
            return treated ? arms.treated[t][r] : arms.vehicle[t][r]
        }
        /// ln of the measured value: floored at detection_floor × the group's vehicle level.
        func lnMeasured(_ h: Int, _ l: Int, _ c: Int, _ treated: Bool, _ t: Int, _ r: Int) -> Double {
            let y = value(h, l, c, treated, t, r)
            let floor = max(spec.detectionFloor * abs(value(h, l, 0, false, t, r)), 1e-300)
            return Foundation.log(max(y.isFinite ? y : 0, floor))
        }

        let sigma = spec.readouts.map { spec.noise.sigma($0)! }
        var pairs: [(Int, Int)] = []
        for i in 0 ..< H { for j in i + 1 ..< H { pairs.append((i, j)) } }
        let P = pairs.count

        // Contribution of one well set (replicates of a cell) to each pair's D², per readout:
        // n (Δ_h − Δ_k)² / (m σ²) for the contrast Δ the set adds (ln values, group's vehicle V):
        // treatment-only K: ln K − ln V (m = 2); inhibitor-only I: ln I − ln V (m = 2);
        // treated under inhibitors KI: ln KI − ln I − ln K + ln V, the change the inhibitors make
        // to the treatment's effect (m = 4). The vehicle itself adds nothing.
        struct Key: Hashable { var l, t, c: Int; var treated: Bool }
        let n = Double(spec.plate.replicates)
        var memo: [Key: [Double]] = [:]  // flattened [p * R + r]
        func q(_ key: Key) -> [Double] {
            if let v = memo[key] { return v }
            var out = [Double](repeating: 0, count: P * R)
            if key.c != 0 || key.treated {
                let m = key.c != 0 && key.treated ? 4.0 : 2.0
                var delta = [[Double]](repeating: [Double](repeating: 0, count: R), count: H)
                for h in 0 ..< H {
                    for r in 0 ..< R {
                        let v = lnMeasured(h, key.l, 0, false, key.t, r)
                        let x = lnMeasured(h, key.l, key.c, key.treated, key.t, r)
                        if key.c != 0 && key.treated {
                            delta[h][r] = x - lnMeasured(h, key.l, key.c, false, key.t, r) - lnMeasured(h, key.l, 0, true, key.t, r) + v
                        } else {
                            delta[h][r] = x - v
                        }
                    }
                }
                for (p, (i, j)) in pairs.enumerated() {
                    for r in 0 ..< R {
                        let z = delta[i][r] - delta[j][r]
                        out[p * R + r] = n * z * z / (m * sigma[r] * sigma[r])
                    }
                }
            }
            memo[key] = out
            return out
        }
        func total(_ keys: [Key]) -> [Double] {
            var out = [Double](repeating: 0, count: P)
            for key in keys {
                let v = q(key)
                for p in 0 ..< P { for r in 0 ..< R { out[p] += v[p * R + r] } }
            }
            return out
        }
        var d2 = [Double](repeating: 0, count: P)

        // Separable pairs: with every usable cell placed, the separation exceeds epsilon.
        var potential = [Double](repeating: 0, count: P)
        for l in 0 ..< L where usable[l][0] {
            for t in 0 ..< T {
                var keys: [Key] = []
                for c in uniqueConditions.indices where usable[l][c] {
                    keys.append(Key(l: l, t: t, c: c, treated: false)); keys.append(Key(l: l, t: t, c: c, treated: true))
                }
                let s = total(keys)
                for p in 0 ..< P { potential[p] += s[p] }
            }
        }
        let separable = (0 ..< P).filter { potential[$0].squareRoot() > epsilon }
        let inseparable = (0 ..< P).filter { potential[$0].squareRoot() <= epsilon }
        func minSep(_ d2: [Double]) -> Double { separable.map { d2[$0].squareRoot() }.min() ?? 0 }
        func capped(_ d2: [Double]) -> Double { separable.reduce(0) { $0 + min(d2[$1].squareRoot(), spec.targetSeparation) } }

        // Placement.
        var placed = Set<Key>()
        var cells: [PlateCell] = []
        var steps: [PlanStep] = []
        var free = spec.plate.usableWells.count
        let replicates = spec.plate.replicates
        func newKeys(l: Int, t: Int, c: Int) -> [Key] {
            var keys: [Key] = []
            let v = Key(l: l, t: t, c: 0, treated: false), k = Key(l: l, t: t, c: 0, treated: true)
            if !placed.contains(v) { keys.append(v) }
            if !placed.contains(k) { keys.append(k) }
            if c != 0 {
                let io = Key(l: l, t: t, c: c, treated: false), te = Key(l: l, t: t, c: c, treated: true)
                if !placed.contains(io) { keys.append(io) }
                if !placed.contains(te) { keys.append(te) }
            }
            return keys
        }
        func effects(_ l: Int, _ t: Int, _ c: Int) -> [[Double]] {
            (0 ..< H).map { h in
                (0 ..< R).map { r in
                    KnockoutScreen.log2FoldChange(value(h, l, c, false, t, r), value(h, l, c, true, t, r)) ?? .nan
                }
            }
        }
        func inhibitorEffects(_ l: Int, _ t: Int, _ c: Int) -> [[Double]] {
            (0 ..< H).map { h in
                (0 ..< R).map { r in
                    KnockoutScreen.log2FoldChange(value(h, l, 0, false, t, r), value(h, l, c, false, t, r)) ?? .nan
                }
            }
        }
        func place(l: Int, t: Int, c: Int, reason: PlanStep.Reason) {
            let keys = newKeys(l: l, t: t, c: c)
            let before = d2, minBefore = minSep(d2)
            let add = total(keys)
            for p in 0 ..< P { d2[p] += add[p] }
            // Readouts by their share of the step's D² gain (summed over pairs).
            var share = [Double](repeating: 0, count: R)
            for key in keys {
                let v = q(key)
                for p in 0 ..< P { for r in 0 ..< R { share[r] += v[p * R + r] } }
            }
            let opens = keys.contains { $0.c == 0 }
            for key in keys {
                placed.insert(key)
                let role: PlateWell.Role = key.c == 0 ? (key.treated ? .treatmentOnly : .vehicle) : (key.treated ? .test : .inhibitorOnly)
                cells.append(PlateCell(line: key.l, time: key.t, condition: uniqueConditions[key.c], treated: key.treated, role: role))
            }
            free -= keys.count * replicates
            let after = (0 ..< P).map { d2[$0].squareRoot() }
            steps.append(PlanStep(reason: reason, line: l, time: t, condition: uniqueConditions[c], opensGroup: opens,
                                  wells: keys.count * replicates, minBefore: minBefore, minAfter: minSep(d2), separations: after,
                                  gains: (0 ..< P).map { after[$0] - before[$0].squareRoot() }, effects: effects(l, t, c),
                                  controlEffects: opens && c != 0 ? effects(l, t, 0) : nil,
                                  inhibitorEffects: c != 0 ? inhibitorEffects(l, t, c) : nil,
                                  keyReadouts: (0 ..< R).sorted { share[$0] != share[$1] ? share[$0] > share[$1] : $0 < $1 }))
        }

        for inc in spec.includes {
            let c = condIndex[inc.condition.id]!
            guard usable[inc.line][c], usable[inc.line][0] else { continue }
            if !newKeys(l: inc.line, t: inc.time, c: c).isEmpty { place(l: inc.line, t: inc.time, c: c, reason: .included) }
        }

        // Greedy maximin.
        var targetReached: (Int, Int)?
        func checkTarget() {
            if targetReached == nil, !separable.isEmpty, minSep(d2) >= spec.targetSeparation {
                targetReached = (steps.count, spec.plate.usableWells.count - free)
            }
        }
        checkTarget()
        while true {
            let m0 = minSep(d2), c0 = capped(d2)
            // (primary gain per well, secondary gain per well, the gain that counts, l, t, c)
            var best: (primary: Double, secondary: Double, gain: Double, l: Int, t: Int, c: Int)?
            for l in 0 ..< L where usable[l][0] {
                for t in 0 ..< T {
                    for c in 0 ... spec.candidates.count where usable[l][c] {
                        let keys = newKeys(l: l, t: t, c: c)
                        let cost = keys.count * replicates
                        guard !keys.isEmpty, cost <= free else { continue }
                        let add = total(keys)
                        var trial = d2
                        for p in 0 ..< P { trial[p] += add[p] }
                        let primaryGain = minSep(trial) - m0, secondaryGain = capped(trial) - c0
                        let primary = primaryGain >= spec.minimumGain ? primaryGain / Double(cost) : 0
                        let secondary = secondaryGain / Double(cost)
                        let candidate = (primary, secondary, primary > 0 ? primaryGain : secondaryGain, l, t, c)
                        if let b = best {
                            if primary > b.primary || (primary == 0 && b.primary == 0 && secondary > b.secondary) { best = candidate }
                        } else {
                            best = candidate
                        }
                    }
                }
            }
            guard let b = best, b.gain >= spec.minimumGain else { break }
            place(l: b.l, t: b.t, c: b.c, reason: .greedy)
            checkTarget()
        }
        if cells.isEmpty, let l = (0 ..< L).first(where: { usable[$0][0] }) {
            place(l: l, t: 0, c: 0, reason: .baseline)
        }

        // Layout.
        var wells: [PlateWell] = []
        let usableWells = spec.plate.usableWells
        var assigned: [String: PlateWell] = [:]
        var next = 0
        for rep in 1 ... replicates {
            for (ci, cell) in cells.enumerated() {
                let (r, c) = usableWells[next]
                next += 1
                let id = PlateSpec.rowName(r) + String(c + 1)
                assigned[id] = PlateWell(well: id, row: PlateSpec.rowName(r), column: c + 1, role: cell.role,
                                         treatment: cell.treated ? spec.treatmentName : "vehicle",
                                         inhibitors: cell.condition.inhibitors.keys.sorted(),
                                         concentrations: cell.condition.inhibitors.sorted { $0.key < $1.key }.map(\.value),
                                         replicate: rep, line: spec.lines[cell.line].id, time: spec.times[cell.time], cell: ci)
            }
        }
        for r in 0 ..< spec.plate.rows {
            for c in 0 ..< spec.plate.columns {
                let id = PlateSpec.rowName(r) + String(c + 1)
                if let w = assigned[id] { wells.append(w); continue }
                let excluded = spec.plate.excludeEdges && spec.plate.isEdge(row: r, column: c)
                wells.append(PlateWell(well: id, row: PlateSpec.rowName(r), column: c + 1, role: excluded ? .excluded : .empty,
                                       treatment: "", inhibitors: [], concentrations: [], replicate: nil, line: nil, time: nil, cell: nil))
            }
        }
        return PlanResult(spec: spec, wells: wells, cells: cells, steps: steps, pairs: pairs,
                          separations: (0 ..< P).map { d2[$0].squareRoot() }, inseparable: inseparable,
                          targetReached: targetReached, dropped: dropped,
                          simulations: spec.screen.simulationCount(variants: variants.count, conditions: uniqueConditions.count),
                          simulationSeconds: simulationSeconds, seconds: Date().timeIntervalSince(started))
    }
}

public enum PlanError: Error, CustomStringConvertible {
    case noUsableLine(String)
    public var description: String {
        switch self {
        case .noUsableLine(let why): return "no line could be simulated under every hypothesis without inhibitors: \(why)"
        }
    }
}

/// Φ(x), the standard normal distribution function.
public func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
