import CascadeCore
import CascadeSolver
import Foundation

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
    /// The one destructive assay the well is read by (a noise kind of the plan, e.g. `western`).
    public var assay: String?
    /// The non-destructive assays that read the well before it (a supernatant aliquot, an MEA
    /// recording), e.g. `["elisa", "supernatant"]`.
    public var alsoRead: [String] = []
}

/// A kind of well on the plate: line, readout time, inhibitors and arm. Every replicate of a cell
/// is the same experiment.
public struct PlateCell: Hashable, Sendable {
    public var line: Int
    public var time: Int
    public var condition: Condition
    public var treated: Bool
    public var role: PlateWell.Role
    /// The assay reading its wells (index into the plan's noise kinds).
    public var assay: Int
}

/// One decision of the planner: a condition added with the controls it needs.
public struct PlanStep: Sendable {
    public enum Reason: String, Sendable {
        case included, greedy, baseline
        /// A lower concentration of the dilution series (`candidates.dilution`).
        case doseResponse = "dose_response"
    }
    public var reason: Reason
    public var line: Int
    public var time: Int
    public var condition: Condition
    /// The assay of its wells (index into the plan's noise kinds).
    public var assay: Int
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
    /// The group's treatment-only effect (treatment only vs vehicle), `[hypothesis][readout]`.
    public var groupEffects: [[Double]]
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
    /// Ensemble members whose predictions the separations account for (0: the nominal model only).
    public var ensembleMembers = 0

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
/// **Assays.** Every well is read by one destructive assay (a well lysed for a western cannot be
/// fixed for imaging), so a well set contributes only the readouts of its assay, and each
/// candidate is a (line, time, condition, assay): the group controls are per assay too.
///
/// **Layout.** Edge wells are buffer unless the plan says otherwise. Usable wells are shuffled
/// with the plate's seed (SplitMix64, Fisher-Yates; `layout: rows` keeps them row by row), then
/// filled with replicate 1 of every cell in the order chosen, then replicate 2, ...: a gradient
/// across the plate does not line up with a condition, and the same seed gives the same plate.
public enum Planner {
    public static let epsilon = 1e-3

    /// - Parameter ensemble: calibrated parameter sets (model parameter ids; see `EnsembleScreen`).
    ///   When given, every hypothesis and line is also simulated for each member, and a contrast
    ///   counts by how consistently the members separate the hypotheses (`Planner.ensembleTerm`).
    public static func plan(
        _ spec: PlanSpec, ensemble: [[String: Double]] = [], threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> PlanResult {
        let started = Date()
        let conditions = simulatedConditions(spec)

        // Simulate every hypothesis × line (variants) under every condition, then the same for
        // every ensemble member.
        let simStart = Date()
        let variants = Predictions.variants(spec, ensemble: ensemble)
        let results = spec.screen.run(variants: variants, conditions: conditions, threads: threads)
        let simulationSeconds = Date().timeIntervalSince(simStart)
        let predictions = try Predictions(spec: spec, conditions: conditions, results: results, members: ensemble.count)

        var placement = Placement(spec: spec, contrasts: Contrasts(spec: spec, predictions: predictions))
        placement.placeInclusions()
        placement.placeGreedily()
        var simulations = spec.screen.simulationCount(variants: results.count, conditions: conditions.count)
        if let series = placement.dilutionSeries() {
            // Simulate the series, then place it where its inhibitor was chosen.
            let more = spec.screen.run(variants: variants, conditions: series.conditions, threads: threads)
            simulations += spec.screen.simulationCount(variants: more.count, conditions: series.conditions.count)
            let all = try Predictions(
                spec: spec, conditions: conditions + series.conditions, results: zip(results, more).map { $0 + $1 }, members: ensemble.count)
            placement.contrasts = Contrasts(spec: spec, predictions: all)
            placement.free += spec.dilutionWells
            let members = [series.top] + series.conditions.indices.map { conditions.count + $0 }
            for c in members where all.usable[series.line][c] {
                let sets = placement.newSets(line: series.line, time: series.time, condition: c, assay: series.assay)
                guard !sets.isEmpty, sets.count * spec.plate.replicates <= placement.free else { continue }
                placement.place(line: series.line, time: series.time, condition: c, assay: series.assay, reason: .doseResponse)
            }
        }
        placement.placeBaselineIfEmpty()

        let contrasts = placement.contrasts
        return PlanResult(
            spec: spec, wells: layout(spec, placement.cells), cells: placement.cells, steps: placement.steps,
            pairs: contrasts.pairs, separations: placement.d2.map { $0.squareRoot() },
            inseparable: contrasts.inseparable, targetReached: placement.targetReached, dropped: predictions.dropped,
            simulations: simulations, simulationSeconds: simulationSeconds, seconds: Date().timeIntervalSince(started), ensembleMembers: predictions.memberCount
        )
    }

    /// `none`, the candidates, then inclusions that are not candidates, each once.
    static func simulatedConditions(_ spec: PlanSpec) -> [Condition] {
        let all =
            [Condition(id: "none", inhibitors: [:])] + spec.candidates
            + spec.includes.map(\.condition).filter { c in !spec.candidates.contains(c) && !c.inhibitors.isEmpty }
        var unique: [Condition] = []
        for c in all where !unique.contains(c) { unique.append(c) }
        return unique
    }

    /// Cells in the order they were chosen; replicate 1 of every cell first, then replicate 2,
    /// ..., filling usable wells row by row; the rest of the plate empty (or excluded edges).
    static func layout(_ spec: PlanSpec, _ cells: [PlateCell]) -> [PlateWell] {
        var usableWells = spec.plate.usableWells
        // Fisher-Yates with the plate's seed: the same seed gives the same plate.
        var rng = SplitMix64(seed: spec.plate.seed)
        func shuffle(_ range: Range<Int>) {
            for i in stride(from: range.upperBound - 1, to: range.lowerBound, by: -1) {
                let j = range.lowerBound + Int(rng.next() % UInt64(i - range.lowerBound + 1))
                usableWells.swapAt(i, j)
            }
        }
        let block = spec.plate.blockSize
        switch spec.plate.layout {
        case .random: shuffle(0 ..< usableWells.count)
        case .blocked: for k in 0 ..< spec.plate.replicates { shuffle(k * block ..< (k + 1) * block) }
        case .rows: break
        }
        var assigned: [String: PlateWell] = [:]
        var next = 0
        for rep in 1 ... spec.plate.replicates {
            // Blocked: replicate k fills block k from its start.
            if spec.plate.layout == .blocked { next = (rep - 1) * block }
            for (ci, cell) in cells.enumerated() {
                let (r, c) = usableWells[next]
                next += 1
                let id = PlateSpec.rowName(r) + String(c + 1)
                assigned[id] = PlateWell(
                    well: id, row: PlateSpec.rowName(r), column: c + 1, role: cell.role,
                    treatment: cell.treated ? spec.treatmentName : "vehicle",
                    inhibitors: cell.condition.inhibitors.keys.sorted(),
                    concentrations: cell.condition.inhibitors.sorted { $0.key < $1.key }.map(\.value),
                    replicate: rep, line: spec.lines[cell.line].id, time: spec.times[cell.time], cell: ci,
                    assay: spec.noise.kinds[cell.assay].name,
                    alsoRead: spec.noise.kinds.indices.filter { $0 != cell.assay && spec.noise.reads(cell.assay, alsoGives: $0) }
                        .filter { k in spec.noise.kinds[k].readouts.contains { spec.readouts.contains($0) } }.map { spec.noise.kinds[$0].name })
            }
        }
        var wells: [PlateWell] = []
        for r in 0 ..< spec.plate.rows {
            for c in 0 ..< spec.plate.columns {
                let id = PlateSpec.rowName(r) + String(c + 1)
                if let w = assigned[id] { wells.append(w); continue }
                let excluded = spec.plate.excludeEdges && spec.plate.isEdge(row: r, column: c)
                wells.append(
                    PlateWell(
                        well: id, row: PlateSpec.rowName(r), column: c + 1, role: excluded ? .excluded : .empty,
                        treatment: "", inhibitors: [], concentrations: [], replicate: nil, line: nil, time: nil, cell: nil,
                        assay: nil))
            }
        }
        return wells
    }
}

/// The simulated values behind a plan: for every hypothesis, line and condition, both arms at
/// every readout time; which (line, condition) pairs are usable (simulated under every hypothesis).
struct Predictions {
    let spec: PlanSpec
    let conditions: [Condition]
    /// `arms[hypothesis][line][condition]`, nil when that simulation failed.
    let arms: [[[ArmPair?]]]
    /// The same for each ensemble member that simulated everywhere: `memberArms[member][hypothesis][line][condition]`.
    let memberArms: [[[[ArmPair?]]]]
    var memberCount: Int { memberArms.count }
    /// `usable[line][condition]`.
    let usable: [[Bool]]
    let dropped: [(line: String, condition: String, reason: String)]

    var hypothesisCount: Int { spec.hypotheses.count }
    var lineCount: Int { spec.lines.count }
    var timeCount: Int { spec.times.count }
    var readoutCount: Int { spec.readouts.count }

    /// The variants simulated, hypothesis-major: variant `h * lines + l`.
    /// Then, for each ensemble member, the same with the member's values under the hypothesis's
    /// and line's (which win where both set a parameter).
    static func variants(_ spec: PlanSpec, ensemble: [[String: Double]] = []) -> [[String: Double]] {
        var out: [[String: Double]] = []
        for h in spec.hypotheses.indices { for l in spec.lines.indices { out.append(spec.variant(hypothesis: h, line: l)) } }
        for m in ensemble {
            for h in spec.hypotheses.indices {
                for l in spec.lines.indices { out.append(m.merging(spec.variant(hypothesis: h, line: l)) { _, own in own }) }
            }
        }
        return out
    }

    init(spec: PlanSpec, conditions: [Condition], results: [[VariantScreen.Outcome]], members: Int = 0) throws {
        self.spec = spec
        self.conditions = conditions
        let lines = spec.lines.count
        arms = spec.hypotheses.indices.map { h in spec.lines.indices.map { l in results[h * lines + l].map(\.value) } }
        // Members with a failed simulation anywhere are left out.
        let block = spec.hypotheses.count * lines
        memberArms = (0 ..< members).compactMap { m -> [[[ArmPair?]]]? in
            let part = spec.hypotheses.indices.map { h in spec.lines.indices.map { l in results[block * (m + 1) + h * lines + l].map(\.value) } }
            return part.allSatisfy { $0.allSatisfy { $0.allSatisfy { $0 != nil } } } ? part : nil
        }
        var dropped: [(String, String, String)] = []
        var usable = [[Bool]](repeating: [Bool](repeating: true, count: conditions.count), count: lines)
        for l in 0 ..< lines {
            for c in conditions.indices {
                for h in spec.hypotheses.indices {
                    if case .failure(let why) = results[h * lines + l][c] {
                        if usable[l][c] { dropped.append((spec.lines[l].id, conditions[c].id, "hypothesis \(spec.hypotheses[h].id): \(why)")) }
                        usable[l][c] = false
                    }
                }
            }
        }
        guard (0 ..< lines).contains(where: { usable[$0][0] }) else {
            throw PlanError.noUsableLine(dropped.first.map { "\($0.0): \($0.2)" } ?? "")
        }
        self.usable = usable
        self.dropped = dropped
    }

    /// The predicted value of readout `r` at time `t` (only for usable line and condition), of the
    /// model as written or of an ensemble member.
    func value(_ h: Int, line l: Int, condition c: Int, treated: Bool, time t: Int, readout r: Int, member: Int? = nil) -> Double {
        let pair = member.map { memberArms[$0][h][l][c]! } ?? arms[h][l][c]!
        return treated ? pair.treated[t][r] : pair.vehicle[t][r]
    }

    /// ln of the measured value: floored at detection_floor × the group's vehicle level.
    func lnMeasured(_ h: Int, line l: Int, condition c: Int, treated: Bool, time t: Int, readout r: Int, member: Int? = nil) -> Double {
        let y = value(h, line: l, condition: c, treated: treated, time: t, readout: r, member: member)
        let floor = max(spec.detectionFloor * abs(value(h, line: l, condition: 0, treated: false, time: t, readout: r, member: member)), 1e-300)
        return Foundation.log(max(y.isFinite ? y : 0, floor))
    }

    /// The treatment effect (log2 treated over untreated under condition c), `[hypothesis][readout]`.
    func effects(line l: Int, time t: Int, condition c: Int) -> [[Double]] {
        (0 ..< hypothesisCount).map { h in
            (0 ..< readoutCount).map { r in
                KnockoutScreen.log2FoldChange(
                    value(h, line: l, condition: c, treated: false, time: t, readout: r),
                    value(h, line: l, condition: c, treated: true, time: t, readout: r)) ?? .nan
            }
        }
    }

    /// The inhibitors' own effect (log2 of inhibitor-only over vehicle), `[hypothesis][readout]`.
    func inhibitorEffects(line l: Int, time t: Int, condition c: Int) -> [[Double]] {
        (0 ..< hypothesisCount).map { h in
            (0 ..< readoutCount).map { r in
                KnockoutScreen.log2FoldChange(
                    value(h, line: l, condition: 0, treated: false, time: t, readout: r),
                    value(h, line: l, condition: c, treated: false, time: t, readout: r)) ?? .nan
            }
        }
    }
}

/// A well set: the replicates of one cell (line, time, condition, arm).
struct WellSet: Hashable {
    var line: Int
    var time: Int
    var condition: Int
    var treated: Bool
    /// The one destructive assay its wells are read by: they give only that assay's readouts.
    var assay: Int
}

/// What each well set adds to every hypothesis pair's squared separation, per readout.
struct Contrasts {
    let predictions: Predictions
    /// Hypothesis index pairs (i < j).
    let pairs: [(Int, Int)]
    let sigma: [Double]
    /// The assay of each readout.
    let assayOf: [Int]
    /// `credited[a][r]`: a well whose endpoint is assay a gives readout r (its own assay's, or a
    /// non-destructive assay's that shares the well).
    let credited: [[Bool]]
    let replicates: Double
    /// Pairs that every usable well set together separates by more than `Planner.epsilon`.
    private(set) var separable: [Int] = []
    private(set) var inseparable: [Int] = []
    private var memo: [WellSet: [Double]] = [:]

    init(spec: PlanSpec, predictions: Predictions) {
        self.predictions = predictions
        var pairs: [(Int, Int)] = []
        for i in 0 ..< predictions.hypothesisCount { for j in i + 1 ..< predictions.hypothesisCount { pairs.append((i, j)) } }
        self.pairs = pairs
        sigma = spec.readouts.map { spec.noise.sigma($0)! }
        assayOf = spec.readouts.map { spec.noise.assayIndex(of: $0)! }
        let assayOf = self.assayOf
        credited = spec.noise.kinds.indices.map { a in assayOf.map { spec.noise.reads(a, alsoGives: $0) } }
        replicates = Double(spec.plate.replicates)
        findSeparablePairs()
    }

    /// The contribution of one well set to each pair's D², per readout (flattened `[pair * R + readout]`):
    /// n (Δ_h − Δ_k)² / (m σ²) for the contrast Δ the set adds (ln values, group's vehicle V):
    /// treatment-only K: ln K − ln V (m = 2); inhibitor-only I: ln I − ln V (m = 2);
    /// treated under inhibitors KI: ln KI − ln I − ln K + ln V, the change the inhibitors make
    /// to the treatment's effect (m = 4). The vehicle itself adds nothing.
    mutating func contribution(_ set: WellSet) -> [Double] {
        if let v = memo[set] { return v }
        let p = predictions
        let readouts = p.readoutCount
        var out = [Double](repeating: 0, count: pairs.count * readouts)
        if set.condition != 0 || set.treated {
            let both = set.condition != 0 && set.treated
            let m = both ? 4.0 : 2.0
            if p.memberCount == 0 {
                let delta = deltas(set, member: nil)
                for (pair, (i, j)) in pairs.enumerated() {
                    for r in 0 ..< readouts where credited[set.assay][r] {
                        let z = delta[i][r] - delta[j][r]
                        out[pair * readouts + r] = replicates * z * z / (m * sigma[r] * sigma[r])
                    }
                }
            } else {
                let memberDeltas = (0 ..< p.memberCount).map { deltas(set, member: $0) }
                for (pair, (i, j)) in pairs.enumerated() {
                    for r in 0 ..< readouts where credited[set.assay][r] {
                        out[pair * readouts + r] = Planner.ensembleTerm(
                            differences: memberDeltas.map { $0[i][r] - $0[j][r] }, sigma: sigma[r], replicates: replicates, contrastWells: m)
                    }
                }
            }
        }
        memo[set] = out
        return out
    }

    /// The contrast a well set adds, `[hypothesis][readout]`, of the model as written or of a member.
    func deltas(_ set: WellSet, member: Int?) -> [[Double]] {
        let p = predictions
        let both = set.condition != 0 && set.treated
        var delta = [[Double]](repeating: [Double](repeating: 0, count: p.readoutCount), count: p.hypothesisCount)
        for h in 0 ..< p.hypothesisCount {
            for r in 0 ..< p.readoutCount {
                let v = p.lnMeasured(h, line: set.line, condition: 0, treated: false, time: set.time, readout: r, member: member)
                let x = p.lnMeasured(h, line: set.line, condition: set.condition, treated: set.treated, time: set.time, readout: r, member: member)
                if both {
                    delta[h][r] =
                        x - p.lnMeasured(h, line: set.line, condition: set.condition, treated: false, time: set.time, readout: r, member: member)
                        - p.lnMeasured(h, line: set.line, condition: 0, treated: true, time: set.time, readout: r, member: member) + v
                } else {
                    delta[h][r] = x - v
                }
            }
        }
        return delta
    }

    /// The D² added to each pair by the well sets, summed over readouts.
    mutating func total(_ sets: [WellSet]) -> [Double] {
        let readouts = predictions.readoutCount
        var out = [Double](repeating: 0, count: pairs.count)
        for set in sets {
            let v = contribution(set)
            for p in 0 ..< pairs.count { for r in 0 ..< readouts { out[p] += v[p * readouts + r] } }
        }
        return out
    }

    /// Separable pairs: with every usable well set placed, the separation exceeds epsilon.
    private mutating func findSeparablePairs() {
        let p = predictions
        var potential = [Double](repeating: 0, count: pairs.count)
        for l in 0 ..< p.lineCount where p.usable[l][0] {
            for t in 0 ..< p.timeCount {
                var sets: [WellSet] = []
                for c in p.conditions.indices where p.usable[l][c] {
                    for a in Set(assayOf).sorted() {
                        sets.append(WellSet(line: l, time: t, condition: c, treated: false, assay: a))
                        sets.append(WellSet(line: l, time: t, condition: c, treated: true, assay: a))
                    }
                }
                let s = total(sets)
                for k in 0 ..< pairs.count { potential[k] += s[k] }
            }
        }
        separable = (0 ..< pairs.count).filter { potential[$0].squareRoot() > Planner.epsilon }
        inseparable = (0 ..< pairs.count).filter { potential[$0].squareRoot() <= Planner.epsilon }
    }

    /// The smallest separation over separable pairs.
    func minSeparation(_ d2: [Double]) -> Double { separable.map { d2[$0].squareRoot() }.min() ?? 0 }

    /// Σ over separable pairs of min(D, target).
    func cappedSum(_ d2: [Double], target: Double) -> Double { separable.reduce(0) { $0 + min(d2[$1].squareRoot(), target) } }
}

/// The plate as it fills: placed well sets, cells and steps, the pairs' squared separations, free wells.
struct Placement {
    let spec: PlanSpec
    var contrasts: Contrasts
    var d2: [Double]
    var placed = Set<WellSet>()
    var cells: [PlateCell] = []
    var steps: [PlanStep] = []
    var free: Int
    var targetReached: (step: Int, wells: Int)?
    /// Wells placed per line, and the most a line may take (`plate.balance_lines`): the plate
    /// over the lines, then the wells lines with nothing left worth placing leave, over the others.
    var lineWells: [Int]
    var lineCap: Int

    init(spec: PlanSpec, contrasts: Contrasts) {
        self.spec = spec
        self.contrasts = contrasts
        d2 = [Double](repeating: 0, count: contrasts.pairs.count)
        // The dilution series' wells are held back until it is placed.
        free = spec.plate.capacity - spec.dilutionWells
        lineWells = [Int](repeating: 0, count: spec.lines.count)
        let usableLines = contrasts.predictions.usable.filter { $0[0] }.count
        lineCap = spec.plate.balanceLines == .off ? Int.max : free / max(1, usableLines)
    }

    /// The dilution series (`candidates.dilution`): of the single-inhibitor candidates, the one
    /// that would most raise Σ min(D, target) over the hypothesis pairs at its best line, time
    /// and assay (with the plate as placed so far); the series is its condition (`top`, an index
    /// into the conditions) and `points − 1` lower concentrations, each `factor` below the last.
    func dilutionSeries() -> (top: Int, conditions: [Condition], line: Int, time: Int, assay: Int)? {
        guard let dilution = spec.dilution else { return nil }
        var contrasts = self.contrasts
        let p = predictions
        let c0 = contrasts.cappedSum(d2, target: spec.targetSeparation)
        var best: (gain: Double, condition: Int, line: Int, time: Int, assay: Int)?
        for c in p.conditions.indices where p.conditions[c].inhibitors.count == 1 {
            for l in 0 ..< p.lineCount where p.usable[l][0] && p.usable[l][c] {
                for t in 0 ..< p.timeCount {
                    for a in assays {
                        let add = contrasts.total(newSets(line: l, time: t, condition: c, assay: a))
                        var trial = d2
                        for k in 0 ..< trial.count { trial[k] += add[k] }
                        let gain = contrasts.cappedSum(trial, target: spec.targetSeparation) - c0
                        if gain > (best?.gain ?? 0) { best = (gain, c, l, t, a) }
                    }
                }
            }
        }
        guard let b = best, let (drug, top) = p.conditions[b.condition].inhibitors.first else { return nil }
        let conditions = (1 ..< dilution.points).map { k -> Condition in
            let c = top / Foundation.pow(dilution.factor, Double(k))
            return Condition(id: "\(drug)@\(doseText(c))uM", inhibitors: [drug: c])
        }
        return (b.condition, conditions, b.line, b.time, b.assay)
    }

    var predictions: Predictions { contrasts.predictions }
    /// The assays that read at least one of the plan's readouts.
    var assays: [Int] { Set(contrasts.assayOf).sorted() }

    /// The well sets a (line, time, condition) choice adds: the group's vehicle and treatment-only
    /// controls if not yet placed, and for an inhibitor condition its inhibitor-only and treated sets.
    func newSets(line l: Int, time t: Int, condition c: Int, assay a: Int) -> [WellSet] {
        var sets: [WellSet] = []
        let v = WellSet(line: l, time: t, condition: 0, treated: false, assay: a)
        let k = WellSet(line: l, time: t, condition: 0, treated: true, assay: a)
        if !placed.contains(v) { sets.append(v) }
        if !placed.contains(k) { sets.append(k) }
        if c != 0 {
            let io = WellSet(line: l, time: t, condition: c, treated: false, assay: a)
            let te = WellSet(line: l, time: t, condition: c, treated: true, assay: a)
            if !placed.contains(io) { sets.append(io) }
            if !placed.contains(te) { sets.append(te) }
        }
        return sets
    }

    mutating func place(line l: Int, time t: Int, condition c: Int, assay a: Int, reason: PlanStep.Reason) {
        let sets = newSets(line: l, time: t, condition: c, assay: a)
        let readouts = predictions.readoutCount, pairCount = contrasts.pairs.count
        let before = d2, minBefore = contrasts.minSeparation(d2)
        let add = contrasts.total(sets)
        for p in 0 ..< pairCount { d2[p] += add[p] }
        // Readouts by their share of the step's D² gain (summed over pairs).
        var share = [Double](repeating: 0, count: readouts)
        for set in sets {
            let v = contrasts.contribution(set)
            for p in 0 ..< pairCount { for r in 0 ..< readouts { share[r] += v[p * readouts + r] } }
        }
        let opens = sets.contains { $0.condition == 0 }
        for set in sets {
            placed.insert(set)
            let role: PlateWell.Role = set.condition == 0 ? (set.treated ? .treatmentOnly : .vehicle) : (set.treated ? .test : .inhibitorOnly)
            cells.append(
                PlateCell(
                    line: set.line, time: set.time, condition: predictions.conditions[set.condition], treated: set.treated,
                    role: role, assay: set.assay))
        }
        free -= sets.count * spec.plate.replicates
        lineWells[l] += sets.count * spec.plate.replicates
        let after = (0 ..< pairCount).map { d2[$0].squareRoot() }
        steps.append(
            PlanStep(
                reason: reason, line: l, time: t, condition: predictions.conditions[c], assay: a, opensGroup: opens,
                wells: sets.count * spec.plate.replicates, minBefore: minBefore, minAfter: contrasts.minSeparation(d2),
                separations: after, gains: (0 ..< pairCount).map { after[$0] - before[$0].squareRoot() },
                effects: predictions.effects(line: l, time: t, condition: c),
                controlEffects: opens && c != 0 ? predictions.effects(line: l, time: t, condition: 0) : nil,
                groupEffects: predictions.effects(line: l, time: t, condition: 0),
                inhibitorEffects: c != 0 ? predictions.inhibitorEffects(line: l, time: t, condition: c) : nil,
                keyReadouts: (0 ..< readouts).filter { contrasts.credited[a][$0] }
                    .sorted { share[$0] != share[$1] ? share[$0] > share[$1] : $0 < $1 }))
    }

    /// The plan file's required conditions (plate.include), first.
    mutating func placeInclusions() {
        for inc in spec.includes {
            let c = predictions.conditions.firstIndex { $0.id == inc.condition.id }!
            guard predictions.usable[inc.line][c], predictions.usable[inc.line][0] else { continue }
            for a in inc.assay.map({ [$0] }) ?? assays where !newSets(line: inc.line, time: inc.time, condition: c, assay: a).isEmpty {
                place(line: inc.line, time: inc.time, condition: c, assay: a, reason: .included)
            }
        }
        checkTarget()
    }

    mutating func checkTarget() {
        if targetReached == nil, !contrasts.separable.isEmpty, contrasts.minSeparation(d2) >= spec.targetSeparation {
            targetReached = (steps.count, spec.plate.capacity - free)
        }
    }

    /// Greedy maximin: the candidate that most raises the smallest separation per well (by at
    /// least `minimum_gain`), else the one that most raises Σ min(D, target) per well; until
    /// nothing fits or adds `minimum_gain`.
    mutating func placeGreedily() {
        let p = predictions
        // Lines with nothing left worth their wells: their unused share goes to the others.
        var exhausted = Set<Int>()
        while true {
            let m0 = contrasts.minSeparation(d2), c0 = contrasts.cappedSum(d2, target: spec.targetSeparation)
            var best: (primary: Double, secondary: Double, gain: Double, line: Int, time: Int, condition: Int, assay: Int)?
            var useful = Set<Int>(), capped = Set<Int>()
            for l in 0 ..< p.lineCount where p.usable[l][0] {
                for t in 0 ..< p.timeCount {
                    for c in 0 ... spec.candidates.count where p.usable[l][c] {
                        for a in assays {
                            let sets = newSets(line: l, time: t, condition: c, assay: a)
                            let cost = sets.count * spec.plate.replicates
                            guard !sets.isEmpty, cost <= free else { continue }
                            guard lineWells[l] + cost <= lineCap else {
                                capped.insert(l)
                                continue
                            }
                            let add = contrasts.total(sets)
                            var trial = d2
                            for k in 0 ..< trial.count { trial[k] += add[k] }
                            let primaryGain = contrasts.minSeparation(trial) - m0
                            let secondaryGain = contrasts.cappedSum(trial, target: spec.targetSeparation) - c0
                            if max(primaryGain, secondaryGain) >= spec.minimumGain { useful.insert(l) }
                            let primary = primaryGain >= spec.minimumGain ? primaryGain / Double(cost) : 0
                            let secondary = secondaryGain / Double(cost)
                            let candidate = (primary, secondary, primary > 0 ? primaryGain : secondaryGain, l, t, c, a)
                            if let b = best {
                                if primary > b.primary || (primary == 0 && b.primary == 0 && secondary > b.secondary) { best = candidate }
                            } else {
                                best = candidate
                            }
                        }
                    }
                }
            }
            guard let b = best, b.gain >= spec.minimumGain else {
                // Lines held back by their share while others have nothing useful left: share
                // out the wells the exhausted lines leave.
                let lines = (0 ..< p.lineCount).filter { p.usable[$0][0] }
                exhausted.formUnion(lines.filter { !useful.contains($0) && !capped.contains($0) })
                let open = lines.filter { !exhausted.contains($0) }
                guard spec.plate.balanceLines == .share, !open.isEmpty, !capped.isEmpty else { break }
                let left = spec.plate.capacity - spec.dilutionWells - exhausted.reduce(0) { $0 + lineWells[$1] }
                let cap = left / open.count
                guard cap > lineCap else { break }
                lineCap = cap
                continue
            }
            place(line: b.line, time: b.time, condition: b.condition, assay: b.assay, reason: .greedy)
            checkTarget()
        }
    }

    /// With nothing placed, the first usable line's controls.
    mutating func placeBaselineIfEmpty() {
        if cells.isEmpty, let l = (0 ..< predictions.lineCount).first(where: { predictions.usable[$0][0] }) {
            place(line: l, time: 0, condition: 0, assay: assays[0], reason: .baseline)
        }
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
