import CascadeCore
import CascadeExperiments
import Foundation

/// Renderings of a screen's results: a table for people, JSON and CSV for programs.
extension ScreenResult {
    /// JSON as in the design contract: readouts, and per condition its inhibitors and effects.
    public func json() -> String {
        func num(_ v: Double?) -> String {
            guard let v, v.isFinite else { return "null" }
            return formatNumber(v)
        }
        let fold = minimumFoldByReadout
        var out = "{\"readouts\": [" + readouts.map { "\"\($0)\"" }.joined(separator: ", ") + "],\n \"conditions\": [\n"
        out += conditions.map { c in
            var s = "  {\"id\": \"\(c.condition.id)\", \"inhibitors\": {"
            s += c.condition.inhibitors.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(formatNumber($0.value))" }.joined(separator: ", ")
            s += "}"
            if !c.condition.treatments.isEmpty {
                s +=
                    ", \"treatments_uM\": {"
                    + c.condition.treatments.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(formatNumber($0.value))" }.joined(separator: ", ") + "}"
            }
            if let f = c.failure { s += ", \"failure\": \"\(jsonEscape(f))\"" }
            s += ", \"effects\": [\n"
            s += c.effects.map { e in
                "    {\"readout\": \"\(e.readout)\", \"time\": \(formatNumber(e.time)), \"vehicle\": \(num(e.vehicle)), "
                    + "\"treated\": \(num(e.treated)), \"log2fc\": \(num(e.log2fc)), \"retained\": \(num(e.retained)), \"call\": \"\(e.call.rawValue)\", "
                    + "\"confidence\": \(num(e.confidence)), \"inhibitor_log2fc\": \(num(e.inhibitorLog2fc))"
                    + (fold[e.readout].map { ", \"minimum_fold\": \(num($0))" } ?? "")
                    + (e.interaction.map { ", \"interaction\": {\"bliss\": \(num($0.bliss)), \"hsa\": \(num($0.hsa))}" } ?? "")
                    + (e.agreement.map { ", \"agreement\": \(num($0))" } ?? "") + "}"
            }.joined(separator: ",\n")
            return s + "]}"
        }.joined(separator: ",\n")
        out += "\n]"
        if !doseResponses.isEmpty {
            out +=
                ",\n \"dose_response\": [\n"
                + doseResponses.map { d in
                    "  {\"inhibitor\": \"\(jsonEscape(d.inhibitor))\", \"readout\": \"\(d.readout)\", \"time\": \(formatNumber(d.time)), "
                        + "\"concentrations_uM\": [\(d.concentrations.map(formatNumber).joined(separator: ", "))], "
                        + "\"block\": [\(d.block.map { num($0) }.joined(separator: ", "))], "
                        + "\"ic50_uM\": \(num(d.ic50)), \"hill\": \(num(d.hill)), \"max_block\": \(num(d.maxBlock))}"
                }.joined(separator: ",\n") + "\n]"
        }
        if !treatmentDoseResponses.isEmpty {
            out +=
                ",\n \"treatment_dose_response\": [\n"
                + treatmentDoseResponses.map { d in
                    "  {\"treatment\": \"\(jsonEscape(d.treatment))\", \"readout\": \"\(d.readout)\", \"time\": \(formatNumber(d.time)), "
                        + "\"concentrations_uM\": [\(d.concentrations.map(formatNumber).joined(separator: ", "))], "
                        + "\"log2fc\": [\(d.log2fc.map { num($0) }.joined(separator: ", "))], "
                        + "\"ec50_uM\": \(num(d.ec50)), \"hill\": \(num(d.hill)), \"max_log2fc\": \(num(d.maxLog2fc))}"
                }.joined(separator: ",\n") + "\n]"
        }
        if let a = ensemble { out += ",\n \"ensemble\": " + ensembleJSON(a) }
        return out + "}\n"
    }

    /// Each readout's smallest fold change counted as a change (empty when not recorded).
    public var minimumFoldByReadout: [String: Double] {
        Dictionary(zip(readouts, minimumFolds), uniquingKeysWith: { a, _ in a })
    }

    /// CSV, one row per condition, readout and time.
    public func csv() -> String {
        let fold = minimumFoldByReadout
        var out =
            "condition,inhibitors,readout,time,vehicle,treated,log2fc,retained,call,confidence,inhibitor_log2fc,bliss_excess,hsa_excess,minimum_fold"
            + (ensemble == nil ? "" : ",agreement") + "\n"
        for c in conditions {
            let inh = c.condition.inhibitors.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value))" }.joined(separator: ";")
            if let f = c.failure {
                out +=
                    [c.condition.id, inh, "", "", "", "", "", "", csvField("failed: " + f), "", "", "", "", ""].joined(separator: ",")
                    + (ensemble == nil ? "" : ",") + "\n"
                continue
            }
            for e in c.effects {
                out +=
                    [
                        c.condition.id, inh, e.readout, formatNumber(e.time), formatNumber(e.vehicle), formatNumber(e.treated),
                        e.log2fc.map(formatNumber) ?? "", e.retained.map(formatNumber) ?? "", e.call.rawValue,
                        e.confidence.map(formatNumber) ?? "", e.inhibitorLog2fc.map(formatNumber) ?? "",
                        e.interaction.map { formatNumber($0.bliss) } ?? "", e.interaction.map { formatNumber($0.hsa) } ?? "",
                        fold[e.readout].map(formatNumber) ?? "",
                    ].joined(separator: ",") + (ensemble == nil ? "" : "," + (e.agreement.map(formatNumber) ?? "")) + "\n"
            }
        }
        return out
    }

    /// A table for people: one row per condition, one column per readout, and in each cell one
    /// letter per readout time — C changed, P partial, B blocked, · unchanged — with the
    /// direction of ketamine's own effect in the first row.
    public func table() -> String {
        let width = max(5, times.count + 1)
        let nameWidth = max(12, conditions.map(\.condition.id.count).max() ?? 0) + 2
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
        var out = "Knockout screen: \(treatment) vs vehicle under each condition. Readout times: "
        out += times.map(formatDuration).joined(separator: ", ") + "\n"
        out += "Cells: one letter per time — C changed, P partial, B blocked, O occluded, · unchanged, ? failed; "
        out += "row 'effect' shows \(treatment)'s own direction (↑ up, ↓ down, · none).\n"
        out += thresholdLine()
        out += "\n"
        // Readout names as a header, each truncated to its column.
        let cols = readouts.map { max(width, $0.count + 1) }
        out += pad("condition", nameWidth) + zip(readouts, cols).map { pad($0, $1) }.joined() + "\n"
        if let ref = conditions.first {
            var row = pad("effect", nameWidth)
            for (ri, _) in readouts.enumerated() {
                var cell = ""
                for ti in times.indices {
                    let e = ref.effects[ti * readouts.count + ri]
                    cell += e.call == .unchanged ? "·" : (e.treated > e.vehicle ? "↑" : (e.treated < e.vehicle ? "↓" : "·"))
                }
                row += pad(cell, cols[ri])
            }
            out += row + "\n"
        }
        for c in conditions {
            var row = pad(c.condition.id, nameWidth)
            for (ri, _) in readouts.enumerated() {
                var cell = ""
                for ti in times.indices {
                    if c.failure != nil { cell += "?"; continue }
                    cell += c.effects[ti * readouts.count + ri].call.letter
                }
                row += pad(cell, cols[ri])
            }
            out += row + "\n"
        }
        let failed = conditions.filter { $0.failure != nil }
        for f in failed { out += "\n\(f.condition.id) failed: \(f.failure!)" }
        if ensemble != nil { out += ensembleTable() }
        let simulating = max(seconds - compileSeconds - callSeconds, 1e-9)
        out += String(
            format: "\n%d conditions, %d simulations in %.2f s (model compiled in %.2f s, then %.1f simulations/s; calls and their confidence %.2f s)\n",
            conditions.count, simulations, seconds, compileSeconds, Double(simulations) / simulating, callSeconds)
        return out
    }
}

extension ScreenResult {
    /// "A change counts from: x1.1 spine_density; x1.2 p_S6K, ...": the readouts grouped by the
    /// smallest fold change their calls count (their assay's resolution), smallest first.
    public func thresholdLine() -> String {
        guard !minimumFolds.isEmpty else { return "" }
        var groups: [(fold: Double, readouts: [String])] = []
        for (r, f) in zip(readouts, minimumFolds) {
            if let i = groups.firstIndex(where: { $0.fold == f }) { groups[i].readouts.append(r) } else { groups.append((f, [r])) }
        }
        groups.sort { $0.fold < $1.fold }
        return "A change counts from (fold, either direction; the assay's resolution): "
            + groups.map { "x" + formatNumber($0.fold) + " " + $0.readouts.joined(separator: ", ") }.joined(separator: "; ") + ".\n"
    }
}

extension Effect.Call {
    /// The call's letter in tables and heat maps.
    public var letter: String {
        switch self {
        case .changed: return "C"
        case .partial: return "P"
        case .blocked: return "B"
        case .occluded: return "O"
        case .unchanged: return "·"
        }
    }
}
