import CascadeCore
import Foundation

// MARK: - Assay noise

/// Well-to-well variability of each readout: a coefficient of variation per readout type. A
/// well's measurement is log-normal around the predicted value, σ(ln) = √ln(1 + CV²).
public struct NoiseModel: Hashable, Sendable {
    public struct Kind: Hashable, Sendable {
        public var name: String
        public var cv: Double
        public var readouts: [String]
        public var source: String
        /// Whether reading ends the well (lysis for a western, fixation for imaging). A
        /// non-destructive assay (a supernatant aliquot for ELISA or glutamate, an MEA recording)
        /// reads a well before its destructive endpoint, in the wells of the assays it shares with.
        public var destructive = true
        /// For a non-destructive assay: the destructive assays whose wells it may also read.
        public var sharesWellWith: [String] = []
    }
    public var kinds: [Kind]

    /// Whether a well read by assay `a` (its endpoint) also gives the readouts of assay `b`: the
    /// same assay, or `b` non-destructive and sharing wells with the destructive `a`.
    public func reads(_ a: Int, alsoGives b: Int) -> Bool {
        a == b || (!kinds[b].destructive && kinds[a].destructive && kinds[b].sharesWellWith.contains(kinds[a].name))
    }

    public func kind(of readout: String) -> Kind? { kinds.first { $0.readouts.contains(readout) } }
    public func sigma(_ readout: String) -> Double? { kind(of: readout).map { Foundation.log(1 + $0.cv * $0.cv).squareRoot() } }
    /// The index of the assay (noise kind) that reads `readout`.
    public func assayIndex(of readout: String) -> Int? { kinds.firstIndex { $0.readouts.contains(readout) } }
}

// MARK: - The plate

public struct PlateSpec: Hashable, Sendable {
    public var wells: Int
    public var replicates: Int
    /// Leave the outer ring empty as buffer (edge wells evaporate faster and read differently).
    public var excludeEdges: Bool
    /// How cells are laid out:
    /// - `random` (default): every usable well shuffled from `seed`;
    /// - `blocked`: the usable wells, row by row, cut into one block of consecutive rows per
    ///   replicate; replicate k of every cell lies in block k, at a position shuffled from `seed`
    ///   within the block, so a plate-edge or row effect is a block effect, separable from the
    ///   conditions (each cell has one well in every block);
    /// - `rows`: row by row in the order chosen.
    public enum Layout: String, Hashable, Sendable {
        case random, rows, blocked

        /// Reads `random` (or `randomised`, `randomized`), `blocked` or `rows`.
        public init?(name: String) {
            switch name {
            case "random", "randomised", "randomized": self = .random
            case "blocked": self = .blocked
            case "rows": self = .rows
            default: return nil
            }
        }
    }
    public var layout: Layout = .random
    public var seed: UInt64 = 1
    /// How the wells are shared between lines:
    /// - `strict` (default): no line gets more than its share (the wells over the lines), so one
    ///   line cannot take the plate; wells no line can use well stay free;
    /// - `share`: the same shares, but the wells of lines with nothing left worth placing go to
    ///   the other lines, equally;
    /// - `off`: no limit.
    public enum LineBalance: String, Hashable, Sendable { case strict, share, off }
    public var balanceLines = LineBalance.strict
    /// The most wells one line may take at first.
    public func lineShare(lines: Int) -> Int { balanceLines == .off ? Int.max : capacity / max(1, lines) }

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

    /// Wells per block of the blocked layout: the usable wells over the replicates.
    public var blockSize: Int { usableWells.count / max(1, replicates) }

    /// The wells a plan may fill: all usable ones, or with the blocked layout one block per
    /// replicate (the few wells left over stay empty).
    public var capacity: Int { layout == .blocked ? blockSize * replicates : usableWells.count }
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
        /// The assay (index into `noise.kinds`); nil: every assay.
        public var assay: Int?
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
    /// A dilution series for the plate (`candidates.dilution`): after the greedy choice, the
    /// single-inhibitor candidate that would separate the hypotheses most is placed at its
    /// concentration and `points − 1` lower ones, each `factor` below the last, at one line,
    /// time and assay; its wells are reserved from the start.
    public var dilution: (points: Int, factor: Double)? = nil

    /// Wells the dilution series holds back: inhibitor-only and treated wells per concentration,
    /// and the group's vehicle and treatment-only controls.
    public var dilutionWells: Int { dilution.map { ($0.points + 1) * 2 * plate.replicates } ?? 0 }

    /// The treatment the protocol adds (e.g. `ketamine`).
    public var treatmentName: String { experiment.treatments.map(\.id).joined(separator: "+") }

    /// `wells`, `replicates`, `seed` and `useEdges` override the file's plate settings (command-line options).
    public static func load(
        _ url: URL, wells: Int? = nil, replicates: Int? = nil, seed: UInt64? = nil, useEdges: Bool = false, layout: PlateSpec.Layout? = nil
    ) throws -> PlanSpec {
        let root = try YAMLValue.load(url)
        try root.allowOnly([
            "experiment", "hypotheses", "candidates", "readouts", "noise", "plate", "target_separation",
            "detection_floor", "minimum_gain", "settle", "description", "protocol",
        ])
        let base = url.deletingLastPathComponent()
        var experiment = try Experiment.load(try resolveInput(try root.required("experiment"), base: base))
        experiment.line = nil
        let panel = experiment.panel
        // The plate's own protocol, replacing the experiment's (e.g. inhibitors held through the
        // last readout, where the screen washes them after the acute window).
        if let node = root["protocol"] {
            var reader = ProtocolReader(model: experiment.model, panel: panel)
            let steps = try reader.read(node)
            let ids = reader.treatments.map(\.id)
            guard ids == experiment.treatments.map(\.id) else {
                throw node.error(
                    "the plan's protocol adds \(ids.joined(separator: ", ")), the experiment's \(experiment.treatments.map(\.id).joined(separator: ", ")): "
                        + "they must add the same treatments")
            }
            experiment.protocolSteps = PlateProtocol(steps: steps)
        }

        // Candidate inhibitor conditions.
        let cand = try root.required("candidates")
        try cand.allowOnly(["inhibitors", "combinations", "doses", "lines", "times", "dilution"])
        var dilution: (points: Int, factor: Double)?
        if let d = cand["dilution"] {
            try d.allowOnly(["points", "factor"])
            let points = try d["points"]?.int() ?? 4
            guard points >= 2 else { throw try d.required("points").error("a dilution series needs at least 2 points") }
            let factor = try d["factor"]?.double() ?? 10
            guard factor > 1, factor.isFinite else { throw try d.required("factor").error("the dilution factor must be above 1") }
            dilution = (points, factor)
        }
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
        var drugs = VariantScreen.drugs(of: candidates)

        // Forced inclusions may name drugs too.
        let plateNode = try root.required("plate")
        try plateNode.allowOnly(["wells", "replicates", "exclude_edges", "include", "seed", "layout", "balance_lines"])
        var includeNodes: [YAMLValue] = []
        if let inc = plateNode["include"] { includeNodes = try inc.list() }
        var includedConditions: [Condition] = []
        for n in includeNodes {
            try n.allowOnly(["line", "time", "inhibitors", "assay"])
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
                        throw n.error(
                            "line '\(line.id)' and hypothesis '\(h.id)' both set '\(id)'; a hypothesis is a mechanism switch, a line a parameter set — keep them apart"
                        )
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
            try v.allowOnly(["cv", "readouts", "source", "confidence", "destructive", "shares_well_with"])
            let cvNode = try v.required("cv")
            let cv = try cvNode.double()
            guard cv > 0 else { throw cvNode.error("the coefficient of variation must be positive") }
            var kind = NoiseModel.Kind(
                name: name, cv: cv, readouts: try v.required("readouts").list().map { try $0.string() },
                source: try v["source"]?.string() ?? "assumed")
            kind.destructive = try v["destructive"]?.bool() ?? true
            if let w = v["shares_well_with"] {
                guard !kind.destructive else { throw w.error("only a non-destructive assay (destructive: false) shares a well with another") }
                kind.sharesWellWith = try w.list().map { try $0.string() }
            }
            kinds.append(kind)
        }
        for (k, (_, v)) in zip(kinds.indices, try noiseNode.entries()) {
            for (i, other) in kinds[k].sharesWellWith.enumerated() {
                guard let o = kinds.first(where: { $0.name == other }) else {
                    throw (try v.required("shares_well_with").list()[i]).error(
                        "unknown assay '\(other)' (the noise kinds: \(kinds.map(\.name).joined(separator: ", ")))\(didYouMean(other, kinds.map(\.name)))")
                }
                guard o.destructive else {
                    throw (try v.required("shares_well_with").list()[i]).error(
                        "'\(other)' is not destructive: list the destructive endpoints (the assays that lyse or fix the well)")
                }
            }
        }
        let noise = NoiseModel(kinds: kinds)
        for id in readouts where noise.kind(of: id) == nil {
            throw (readoutNode ?? noiseNode).error("readout '\(id)' has no noise entry: list it under one of the noise kinds")
        }

        // Plate.
        var plate = PlateSpec(wells: 96, replicates: 3, excludeEdges: true)
        let wellsNode = plateNode["wells"], repNode = plateNode["replicates"]
        if let w = wellsNode { plate.wells = try w.int() }
        if let r = repNode { plate.replicates = try r.int() }
        if let e = plateNode["exclude_edges"] { plate.excludeEdges = try e.bool() }
        if useEdges { plate.excludeEdges = false }
        if let sNode = plateNode["seed"] {
            let text = try sNode.string().trimmingCharacters(in: .whitespaces)
            guard let v = UInt64(text) else { throw sNode.error("the seed must be a whole number from 0 to 2^64-1, got '\(text)'") }
            plate.seed = v
        }
        if let seed { plate.seed = seed }
        if let lNode = plateNode["layout"] {
            let text = try lNode.string()
            guard let l = PlateSpec.Layout(name: text) else { throw lNode.error("layout must be random, blocked or rows, got '\(text)'") }
            plate.layout = l
        }
        if let layout { plate.layout = layout }
        if let b = plateNode["balance_lines"] {
            let text = try b.string()
            switch text {
            case "true", "strict": plate.balanceLines = .strict
            case "share": plate.balanceLines = .share
            case "false", "off": plate.balanceLines = .off
            default: throw b.error("balance_lines must be strict (or true), share, or off (or false), got '\(text)'")
            }
        }
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
                throw try n.required("time").error(
                    "\(formatDuration(t)) is not a candidate readout time (\(times.map(formatDuration).joined(separator: ", ")))")
            }
            var assay: Int?
            if let a = n["assay"] {
                let name = try a.string()
                guard let k = noise.kinds.firstIndex(where: { $0.name == name }) else {
                    throw a.error(
                        "unknown assay '\(name)' (the noise kinds: \(noise.kinds.map(\.name).joined(separator: ", ")))\(didYouMean(name, noise.kinds.map(\.name)))"
                    )
                }
                assay = k
            }
            includes.append(Inclusion(line: li, time: ti, condition: cond, assay: assay))
        }

        // Required wells: one group's vehicle and treatment-only controls, and every inclusion
        // with its inhibitor-only control and its group's controls.
        var groups = Set<String>(), cells = Set<String>()
        var required = 0
        if includes.isEmpty { required = 2 * plate.replicates }
        required += dilution.map { ($0.points + 1) * 2 * plate.replicates } ?? 0
        for inc in includes {
            for a in inc.assay.map({ [$0] }) ?? Array(noise.kinds.indices) {
                if groups.insert("\(inc.line)/\(inc.time)/\(a)").inserted { required += 2 * plate.replicates }
                if !inc.condition.inhibitors.isEmpty, cells.insert("\(inc.line)/\(inc.time)/\(inc.condition.id)/\(a)").inserted {
                    required += 2 * plate.replicates
                }
            }
        }
        let capacity = plate.capacity
        if required > capacity {
            let what =
                includes.isEmpty
                ? "vehicle and \(experiment.treatments.first!.id)-only controls"
                : "vehicle and \(experiment.treatments.first!.id)-only controls, the included conditions and their inhibitor-only controls"
            let node = includes.isEmpty ? repNode : plateNode["include"]
            throw plateError(
                node, replicates.map { "--replicates \($0)" },
                "the required wells (\(what), \(plate.replicates) replicate\(plate.replicates == 1 ? "" : "s") each: \(required) wells) do not fit the \(capacity) usable wells of a \(plate.wells)-well plate\(plate.excludeEdges ? " without its edge wells" : "")"
            )
        }

        let target = try root["target_separation"]?.double() ?? 4
        guard target > 0 else { throw try root.required("target_separation").error("must be positive") }
        let floor = try root["detection_floor"]?.double() ?? 0.05
        guard floor >= 0, floor < 1 else { throw try root.required("detection_floor").error("must be in [0, 1)") }
        let minimumGain = try root["minimum_gain"]?.double() ?? 0.1
        guard minimumGain > 0 else { throw try root.required("minimum_gain").error("must be positive") }

        return PlanSpec(
            file: url.path, experiment: experiment, hypotheses: hypotheses, lines: lines, times: times, readouts: readouts,
            candidates: candidates, noise: noise, plate: plate, targetSeparation: target, detectionFloor: floor,
            minimumGain: minimumGain, includes: includes, screen: screen, dilution: dilution)
    }

    /// The parameter values of hypothesis h on line l.
    public func variant(hypothesis h: Int, line l: Int) -> [String: Double] {
        lines[l].values.merging(hypotheses[h].values) { _, b in b }
    }
}
