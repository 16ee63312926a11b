import CascadeCore
import CascadeSolver
import Foundation

extension Experiment {
    /// The sweep as a plan: one compiled variant per line, one task per combination of axis
    /// values, line and arm; condition columns `line, arm, <axes>`.
    public func sweepPlan(options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10)) throws -> SweepPlan {
        guard let spec = sweep else { throw InputError(file: file, field: "sweep", message: "the experiment has no sweep section") }
        let drugs = spec.axes.compactMap { a -> String? in if case .inhibitor(let d) = a.target { return d } else { return nil } }
        let lines: [(String, [String: Double])?] = spec.lines.isEmpty ? [line] : spec.lines.map { ($0.id, $0.values) }
        var variants: [CompiledModel] = []
        for l in lines {
            var e = self
            e.line = l
            variants.append(try CompiledModel(PlateProtocol.screeningModel(e, drugs: drugs)))
        }
        // First-addition concentration of each treatment, to turn swept concentrations into scales.
        var firstDose: [String: Double] = [:]
        for s in protocolSteps.steps {
            if case .add(let t, let c) = s.operation, firstDose[t] == nil { firstDose[t] = c }
        }
        var grid: [(id: String, values: [Double])] = spec.axes.map { ($0.name, $0.values) }
        grid.insert(("arm", spec.arms), at: 0)
        let combos = SweepPlan.grid(grid)
        var tasks: [SweepTask] = []
        for (v, l) in lines.enumerated() {
            for c in combos {
                var treatment = TreatmentInputs(arm: c.inputs["arm"]!)
                var values: [String: Double] = [:]
                for a in spec.axes {
                    let x = c.inputs[a.name]!
                    switch a.target {
                    case .parameter(let p): values[p] = x
                    case .inhibitor(let d): treatment.doses[d] = x
                    case .treatment(let t):
                        guard let c0 = firstDose[t], c0 > 0 else {
                            throw InputError(file: file, field: "sweep.parameters.\(t)", message: "treatment '\(t)' is not added by the protocol")
                        }
                        treatment.scales[t] = x / c0
                    }
                }
                let inputs = treatment.values(over: values)
                let arm = c.inputs["arm"]! == 0 ? "vehicle" : "treated"
                tasks.append(SweepTask(index: tasks.count, variant: v, labels: [l?.0 ?? "", arm] + Array(c.labels.dropFirst()), inputs: inputs))
            }
        }
        return SweepPlan(
            conditionColumns: ["line", "arm"] + spec.axes.map(\.name), variants: variants, tasks: tasks,
            times: readoutTimes, outputs: readouts.map { OutputColumn($0) }, options: options,
            start: protocolSteps.firstTime - settle)
    }
}

/// A sweep's effects: for every line, axis point, time and readout, the treated arm against the
/// vehicle arm at the same point (log2 fold change), with the call (`changed` when the fold change
/// reaches the experiment's minimum fold, else `unchanged`) and its confidence from the assays.
public struct SweepEffects: Sendable {
    public struct Row: Hashable, Sendable {
        /// The condition columns other than `arm` (line and axes), as written in the sweep.
        public var point: [String]
        public var time: Double
        public var readout: String
        public var vehicle: Double
        public var treated: Double
        public var log2fc: Double?
        public var call: Effect.Call
        public var confidence: Double
    }
    /// The condition column names other than `arm`.
    public var pointColumns: [String]
    public var rows: [Row]

    /// From a finished sweep's CSV (`index,line,arm,<axes>,status,time,<outputs>`). Points whose
    /// vehicle or treated run failed are left out.
    public static func from(csv text: String, experiment e: Experiment) throws -> SweepEffects {
        var lines = text.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { throw InputError(file: e.file, field: "sweep", message: "the sweep output is empty") }
        let header = parseCSVLine(lines.removeFirst())
        guard let armColumn = header.firstIndex(of: "arm"), let status = header.firstIndex(of: "status"),
            let timeColumn = header.firstIndex(of: "time")
        else {
            throw InputError(file: e.file, field: "sweep", message: "the sweep output lacks the arm, status or time column")
        }
        let pointColumns = Array(header[1 ..< status]).filter { $0 != "arm" }
        let readouts = Array(header[(timeColumn + 1)...])
        // (point, time) -> arm -> values
        var order: [String] = []
        var values: [String: (point: [String], time: Double, arms: [String: [Double]])] = [:]
        for l in lines {
            let f = parseCSVLine(l)
            guard f.count == header.count, f[status] == "ok", let t = Double(f[timeColumn]) else { continue }
            let point = (1 ..< status).filter { $0 != armColumn }.map { f[$0] }
            let key = point.joined(separator: "\u{1}") + "\u{1}" + f[timeColumn]
            if values[key] == nil { order.append(key); values[key] = (point, t, [:]) }
            values[key]!.arms[f[armColumn]] = readouts.indices.map { Double(f[timeColumn + 1 + $0]) ?? .nan }
        }
        guard values.values.contains(where: { $0.arms["vehicle"] != nil }) && values.values.contains(where: { $0.arms["treated"] != nil }) else {
            throw InputError(file: e.file, field: "sweep.arms", message: "fold changes need both arms: write arms: [vehicle, treated]")
        }
        let rules = e.callRules
        var rows: [Row] = []
        for (k, key) in order.enumerated() {
            let v = values[key]!
            guard let veh = v.arms["vehicle"], let trt = v.arms["treated"] else { continue }
            for (ri, r) in readouts.enumerated() {
                let levels = CallLevels(referenceVehicle: veh[ri], referenceTreated: trt[ri], vehicle: veh[ri], treated: trt[ri])
                let j = rules.judge(levels, readout: r, isReference: true)
                rows.append(
                    Row(
                        point: v.point, time: v.time, readout: r, vehicle: veh[ri], treated: trt[ri],
                        log2fc: KnockoutScreen.log2FoldChange(veh[ri], trt[ri]), call: j.call,
                        confidence: rules.confidence(levels, readout: r, isReference: true)))
            }
        }
        return SweepEffects(pointColumns: pointColumns, rows: rows)
    }

    /// One CSV line split into fields (double quotes quote, `""` is a quote).
    static func parseCSVLine(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var it = Array(line)
        var i = 0
        while i < it.count {
            let ch = it[i]
            if quoted {
                if ch == "\"" {
                    if i + 1 < it.count && it[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                fields.append(field); field = ""
            } else {
                field.append(ch)
            }
            i += 1
        }
        fields.append(field)
        it.removeAll()
        return fields
    }
}

extension Experiment {
    /// What a sweep's numbers mean, for the output's metadata: the protocol's start, the settling
    /// before it, the arms and the solver tolerances.
    public func sweepMetadata(options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10)) -> [String: String] {
        [
            "experiment": file,
            "settle_s": formatNumber(settle),
            "start_s": formatNumber(protocolSteps.firstTime - settle),
            "note": "every simulation starts settle_s before the first protocol step (at start_s) from the model's initial values, "
                + "so values at time t include the settling; `cascade simulate` starts at 0 without it",
            "arms": (sweep?.arms ?? []).map { $0 == 0 ? "vehicle" : "treated" }.joined(separator: ","),
            "rtol": formatNumber(options.relativeTolerance), "atol": formatNumber(options.absoluteTolerance),
        ]
    }
}
