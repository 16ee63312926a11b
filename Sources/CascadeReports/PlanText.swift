import CascadeCore
import CascadeExperiments
import Foundation

extension PlanResult {
    /// The plate map: `well,row,column,role,treatment,inhibitors,concentrations_uM,replicate` (the
    /// DESIGN.md contract; inhibitors and their concentrations joined by `+` in the same order),
    /// then one `<compound>_uM` column per compound on the plate (the treatment first, 0 where
    /// the well gets the compound's vehicle), `vehicle` (the compounds whose vehicle the well
    /// gets instead, joined by `+`: every used well carries the same solvents), `assay` (the one
    /// destructive assay that reads the well), `line` and `read_at_s`. One row per well of the
    /// plate, row by row; unused and buffer wells have empty fields.
    public func csv() -> String {
        let compounds = self.compounds
        var out =
            (["well", "row", "column", "role", "treatment", "inhibitors", "concentrations_uM", "replicate"]
            + compounds.map { "\($0)_uM" } + ["vehicle", "assay", "line", "read_at_s", "also_read"]).map(csvField).joined(separator: ",") + "\n"
        for w in wells {
            let used = w.cell != nil
            var fields: [String] = [w.well, w.row, String(w.column), w.role.rawValue, w.treatment]
            fields.append(w.inhibitors.joined(separator: "+"))
            fields.append(w.concentrations.map(formatNumber).joined(separator: "+"))
            fields.append(w.replicate.map(String.init) ?? "")
            for c in compounds { fields.append(used ? formatNumber(concentration(of: c, in: w)) : "") }
            fields.append(vehicles(of: w).joined(separator: "+"))
            fields.append(w.assay ?? "")
            fields.append(csvField(w.line ?? ""))
            fields.append(w.time.map(formatNumber) ?? "")
            fields.append(w.alsoRead.joined(separator: "+"))
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Which hypotheses a step tells apart, through which readout and which contrast, in a sentence.
    static func inWords(_ st: PlanStep, pair: (Int, Int), readout r: Int, spec s: PlanSpec, treatment: String, time: String) -> String {
        let (a, b) = pair
        let ha = s.hypotheses[a].id, hb = s.hypotheses[b].id
        func f(_ v: Double) -> String { String(format: "%+.2f", v) }
        var contrast = "\(treatment)'s effect"
        var x = st.effects[a][r], y = st.effects[b][r]
        if let ie = st.inhibitorEffects {
            let changeA = st.effects[a][r] - st.groupEffects[a][r], changeB = st.effects[b][r] - st.groupEffects[b][r]
            if abs(ie[a][r] - ie[b][r]) >= abs(changeA - changeB) {
                contrast = "the inhibitors' own effect"
                (x, y) = (ie[a][r], ie[b][r])
            } else {
                contrast = "the change the inhibitors make to \(treatment)'s effect"
                (x, y) = (changeA, changeB)
            }
        }
        return "it tells \(ha) from \(hb) mainly through \(s.readouts[r]) (\(s.noise.kinds[st.assay].name)) at \(time): "
            + "\(contrast) is predicted \(f(x)) under \(ha) and \(f(y)) under \(hb) (log2 fold change)."
    }

    /// `NBQX 10 µM + rapamycin 0.1 µM`, or `no inhibitor`.
    public static func describe(_ c: Condition) -> String {
        c.inhibitors.isEmpty
            ? "no inhibitor" : c.inhibitors.sorted { $0.key < $1.key }.map { "\($0.key) \(formatConcentration($0.value))" }.joined(separator: " + ")
    }

    /// The rationale: criterion, noise, each chosen condition with its predicted effects under every
    /// hypothesis and why it was chosen, and the final pairwise separations.
    public func rationale() -> String {
        let s = spec
        let H = s.hypotheses.count
        func f(_ v: Double, _ d: Int = 2) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "n/a" }
        func pad(_ t: String, _ w: Int) -> String { t.count >= w ? t + " " : t + String(repeating: " ", count: w - t.count) }
        func pairName(_ p: Int) -> String { "\(s.hypotheses[pairs[p].0].id) vs \(s.hypotheses[pairs[p].1].id)" }
        let treatment = s.treatmentName
        var out = "Plate plan for \(URL(fileURLWithPath: s.file).lastPathComponent): \(s.plate.wells)-well plate (\(s.plate.rows) × \(s.plate.columns))"
        out += s.plate.excludeEdges ? " without edge wells" : ""
        out += ", \(s.plate.replicates) replicate\(s.plate.replicates == 1 ? "" : "s") per condition; "
        out += "\(usedWells) wells used, \(s.plate.capacity - usedWells) usable wells free.\n"
        var perLine: [String: Int] = [:]
        for w in wells where w.cell != nil { perLine[w.line ?? "", default: 0] += 1 }
        out += "Wells per line: " + s.lines.map { "\($0.id) \(perLine[$0.id] ?? 0)" }.joined(separator: ", ")
        switch s.plate.balanceLines {
        case .strict:
            out += " (a share of at most \((s.plate.capacity - s.dilutionWells) / max(1, s.lines.count)) wells each, plate.balance_lines: strict"
            out += s.dilution == nil ? ").\n" : "; the dilution series comes on top).\n"
        case .share:
            out +=
                " (shares of \((s.plate.capacity - s.dilutionWells) / max(1, s.lines.count)) wells; the wells of lines with nothing left worth placing go to the others, plate.balance_lines: share).\n"
        case .off: out += ".\n"
        }
        switch s.plate.layout {
        case .random: out += "Layout: every usable well shuffled from seed \(s.plate.seed).\n\n"
        case .blocked:
            out +=
                "Layout: blocked — replicate k of every condition in block k (\(s.plate.blockSize) consecutive wells, row by row), shuffled within it from seed \(s.plate.seed); "
            out += "a row or edge effect is a block effect, separable from the conditions.\n\n"
        case .rows: out += "Layout: row by row in the order chosen.\n\n"
        }
        if ensembleMembers > 0 {
            out += "Separations are over \(ensembleMembers) calibrated parameter sets: each contrast's mean difference between two hypotheses "
            out += "against the assay noise plus the members' spread, z² = n μ² / (m σ² + n s²).\n\n"
        }

        out += "Hypotheses (\(H)):\n"
        for h in s.hypotheses { out += "  \(h.id): \(h.summary)\(h.description.isEmpty ? "" : " — \(h.description)")\n" }
        out += "Lines: " + s.lines.map(\.id).joined(separator: ", ") + ". Readout times: " + s.times.map(formatDuration).joined(separator: ", ")
        out += ". Candidate conditions: \(s.candidates.count) (\(s.candidates.map(\.id).joined(separator: ", "))).\n\n"

        out += "Assay noise (well-to-well CV per readout type; σ of ln value = √ln(1+CV²)):\n"
        for k in s.noise.kinds {
            let used = k.readouts.filter { s.readouts.contains($0) }
            guard !used.isEmpty else { continue }
            out += "  \(k.name): CV \(f(k.cv)) — \(used.joined(separator: ", ")). Source: \(k.source)\n"
        }
        out += "\nCriterion: wells are read against the vehicle (V) of their (line, time) group, and each well set is credited with the\n"
        out += "contrast it adds (ln values): \(treatment) only K: ln K − ln V; inhibitors only I: ln I − ln V (SE σ√(2/n) each); \(treatment)\n"
        out += "under inhibitors KI: ln KI − ln I − ln K + ln V, the change the inhibitors make to \(treatment)'s effect (SE σ√(4/n)).\n"
        out += "The separation of two hypotheses is D = √Σ z², z = (Δ_h − Δ_k)/SE over every well set and readout (treated as\n"
        out += "independent; values below \(f(s.detectionFloor * 100, 0))% of the group's vehicle read as that floor).\n"
        out +=
            "A likelihood-ratio test confuses two hypotheses at distance D with probability Φ(−D/2); target D = \(f(s.targetSeparation, 1)) (\(f(100 * normalCDF(-s.targetSeparation / 2), 1))%).\n"
        out += "Greedy maximin: each step adds the candidate (line, time, inhibitors: treated and inhibitor-only wells, plus the group's\n"
        out += "vehicle and \(treatment)-only controls when the group is new) that most raises the smallest separation per well; when none raises it\n"
        out +=
            "by \(f(s.minimumGain)), the one that most raises Σ min(D, target) per well; until the plate is full or no step adds \(f(s.minimumGain)) noise units.\n\n"

        let rw = max(14, s.readouts.map(\.count).max() ?? 0) + 2
        let hw = max(9, s.hypotheses.map(\.id.count).max() ?? 0) + 2
        func effectTable(_ effects: [[Double]], readouts: [Int]) -> String {
            var t = "      " + pad("readout", rw) + s.hypotheses.map { pad($0.id, hw) }.joined() + "\n"
            for r in readouts {
                t += "      " + pad(s.readouts[r], rw) + (0 ..< H).map { pad(f(effects[$0][r]), hw) }.joined() + "\n"
            }
            return t
        }
        out += "Chosen conditions, in the order chosen, with the predicted effects (log2 fold change) under each hypothesis for the readouts that\n"
        out += "contribute most to the step's separation:\n"
        for (i, st) in steps.enumerated() {
            let line = s.lines[st.line].id, time = formatDuration(s.times[st.time])
            out += "\n\(i + 1). line \(line), \(s.noise.kinds[st.assay].name) read at \(time): "
            out += st.condition.inhibitors.isEmpty ? "\(treatment) only" : "\(treatment) + \(PlanResult.describe(st.condition))"
            var parts: [String] = []
            if st.opensGroup { parts.append("opens the group with vehicle and \(treatment)-only controls") }
            if !st.condition.inhibitors.isEmpty { parts.append("with its inhibitor-only control") }
            out += " (\(st.wells) wells" + (parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")) + ")\n"
            switch st.reason {
            case .included: out += "   Why: required by the plan file (plate.include).\n"
            case .baseline: out += "   Why: the required controls; no candidate separates the hypotheses.\n"
            case .doseResponse:
                out += "   Why: the dilution series (candidates.dilution) of the single inhibitor that separates the hypotheses most, "
                out += "at one line, time and assay: its concentrations give the blockade's dose response on the plate.\n"
            case .greedy:
                let bestPair = st.gains.indices.max { st.gains[$0] < st.gains[$1] } ?? 0
                if st.minAfter - st.minBefore >= Planner.epsilon {
                    out += "   Why: raises the smallest separation from \(f(st.minBefore)) to \(f(st.minAfter)) noise units"
                } else {
                    out += "   Why: the smallest separation cannot be raised by one condition; this one adds most to the others"
                }
                if !pairs.isEmpty {
                    out += "; largest gain: \(pairName(bestPair)) \(f(st.separations[bestPair] - st.gains[bestPair])) → \(f(st.separations[bestPair])).\n"
                    if let r = st.keyReadouts.first {
                        out += "   In words: " + PlanResult.inWords(st, pair: pairs[bestPair], readout: r, spec: s, treatment: treatment, time: time) + "\n"
                    }
                } else {
                    out += ".\n"
                }
            }
            let key = Array(st.keyReadouts.prefix(4))
            if let ce = st.controlEffects {
                out += "   \(treatment) only vs vehicle:\n" + effectTable(ce, readouts: key)
            }
            if let ie = st.inhibitorEffects {
                out += "   \(PlanResult.describe(st.condition)) alone vs vehicle (no \(treatment)):\n" + effectTable(ie, readouts: key)
                out += "   \(treatment) vs no \(treatment), both under \(PlanResult.describe(st.condition)):\n" + effectTable(st.effects, readouts: key)
            } else {
                out += "   \(treatment) only vs vehicle:\n" + effectTable(st.effects, readouts: key)
            }
        }

        out += "\nPairwise separation at the end (noise units):\n"
        out += pad("", hw) + s.hypotheses.map { pad($0.id, hw) }.joined() + "\n"
        for i in 0 ..< H {
            var row = pad(s.hypotheses[i].id, hw)
            for j in 0 ..< H {
                if i == j { row += pad("-", hw); continue }
                let p = pairs.firstIndex { $0 == (min(i, j), max(i, j)) }!
                row += pad(f(separations[p], 1), hw)
            }
            out += row + "\n"
        }
        let separable = pairs.indices.filter { !inseparable.contains($0) }
        if let weakest = separable.min(by: { separations[$0] < separations[$1] }) {
            out += "Smallest separation: \(pairName(weakest)), \(f(separations[weakest])) noise units "
            out += "(misclassification ≈ \(f(100 * normalCDF(-separations[weakest] / 2), 1))%).\n"
        }
        if let t = targetReached {
            out += "Every separable pair reached the target \(f(s.targetSeparation, 1)) after step \(t.step) with \(t.wells) wells; later steps add margin.\n"
        } else if let weakest = separable.min(by: { separations[$0] < separations[$1] }), separations[weakest] > 0 {
            // D grows with √n when every chosen well set gets n replicates.
            let needed = Int((Double(s.plate.replicates) * pow(s.targetSeparation / separations[weakest], 2)).rounded(.up))
            out +=
                "The target \(f(s.targetSeparation, 1)) was not reached for every pair on this plate: no further candidate adds \(f(s.minimumGain)) noise units. "
            out += "The same conditions with \(needed) replicates each (D grows with √n) would reach it for \(pairName(weakest)).\n"
        }
        for p in inseparable {
            out += "Cannot be told apart by any candidate: \(pairName(p)) (their predictions agree on every candidate well).\n"
        }
        for d in dropped { out += "Dropped (simulation failed): line \(d.line), \(d.condition): \(d.reason)\n" }
        out += String(format: "\n%d simulations in %.2f s; plan %.2f s in all.\n", simulations, simulationSeconds, seconds)
        return out
    }
}

/// `10 µM`, `100 nM`, `1 mM`.
public func formatConcentration(_ uM: Double) -> String {
    func g(_ v: Double) -> String { String(format: "%g", v) }
    if uM >= 1000 { return "\(g(uM / 1000)) mM" }
    if uM >= 1 || uM == 0 { return "\(g(uM)) µM" }
    if uM >= 1e-3 { return "\(g(uM * 1000)) nM" }
    return "\(g(uM * 1e6)) pM"
}

extension PlateSchedule {
    /// `time_s,time,action,compound,concentration_uM,wells`: one row per action, wells joined by
    /// spaces, in time order.
    public func csv() -> String {
        var out = "time_s,time,action,compound,concentration_uM,wells\n"
        for e in entries {
            out +=
                [
                    formatNumber(e.time), e.time < 0 ? "-" + formatDuration(-e.time) : (e.time == 0 ? "0" : formatDuration(e.time)),
                    e.action, csvField(e.compound), e.concentration.map(formatNumber) ?? "", e.wells.joined(separator: " "),
                ]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
