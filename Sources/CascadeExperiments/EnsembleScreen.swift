import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

// MARK: - Calibrated parameter sets

/// An ensemble of calibrated parameter sets (`cascade ensemble`'s table): one row per member,
/// columns `member`, optional `candidate` and `llh`, then one column per calibration parameter
/// (linear scale).
public struct ParameterEnsemble: Sendable, Hashable {
    public var file: String
    /// The calibration parameter ids, in column order.
    public var ids: [String]
    /// `values[member][k]` is parameter `ids[k]` of the member.
    public var values: [[Double]]

    static let bookkeeping: Set<String> = ["member", "candidate", "llh"]

    public init(file: String, ids: [String], values: [[Double]]) {
        self.file = file
        self.ids = ids
        self.values = values
    }

    /// Reads the table; a field that is not a positive finite number is an error at its line and column.
    public static func load(_ url: URL) throws -> ParameterEnsemble {
        let table = try PEtabTable(contentsOf: url, name: url.path)
        try table.require(["member"])
        let ids = table.columns.filter { !bookkeeping.contains($0) }
        guard !ids.isEmpty else { throw PEtabError(file: url.path, line: 1, "no parameter columns (expected member, candidate, llh, then parameter ids)") }
        var values: [[Double]] = []
        for r in 0 ..< table.rowCount {
            values.append(
                try ids.map { id in
                    let text = table[r, id] ?? ""
                    guard let v = PEtabNumber.parse(text), v.isFinite else { throw table.error(row: r, column: id, "'\(text)' is not a finite number") }
                    return v
                })
        }
        guard !values.isEmpty else { throw PEtabError(file: url.path, "the ensemble has no members") }
        return ParameterEnsemble(file: url.path, ids: ids, values: values)
    }
}

/// Which model parameter each calibration parameter is (`models/calibration/mapping.tsv`):
///
///     calibrationId    modelId          note
///     CL_ketamine      CL_ketamine      plasma clearance (in vivo only)
///     scale_BDNF_TrkB                   assay scale of an observable: not a model parameter
///
/// An empty modelId says the calibration parameter has no counterpart in the model (observable
/// scales, offsets). Every parameter of an ensemble must be listed; every modelId must be a
/// constant parameter the screen can set.
public struct CalibrationMapping: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var calibrationId: String
        public var modelId: String?
        /// 1-based line in the mapping file.
        public var line: Int
    }

    public var file: String
    public var entries: [Entry]

    public init(file: String, entries: [Entry]) {
        self.file = file
        self.entries = entries
    }

    public static func load(_ url: URL) throws -> CalibrationMapping {
        let table = try PEtabTable(contentsOf: url, name: url.path)
        try table.require(["calibrationId", "modelId"])
        var entries: [Entry] = []
        for r in 0 ..< table.rowCount {
            let id = table[r, "calibrationId"] ?? ""
            guard !id.isEmpty else { throw table.error(row: r, column: "calibrationId", "empty calibration parameter id") }
            if entries.contains(where: { $0.calibrationId == id }) { throw table.error(row: r, column: "calibrationId", "'\(id)' is listed twice") }
            let model = table[r, "modelId"] ?? ""
            entries.append(Entry(calibrationId: id, modelId: model.isEmpty ? nil : model, line: table.lines[r]))
        }
        return CalibrationMapping(file: url.path, entries: entries)
    }

    /// Checks the mapping against an ensemble and a screen's settable parameters, and turns each
    /// member into model parameter values. Errors: an ensemble column the mapping does not list
    /// (at the ensemble's header), a modelId the model cannot set (at the mapping's line), two
    /// calibration parameters mapped to one model parameter.
    public func variants(_ ensemble: ParameterEnsemble, settable: (String) -> Bool, known: [String]) throws -> [[String: Double]] {
        var targets: [(column: Int, model: String)] = []
        var used: [String: String] = [:]
        for (k, id) in ensemble.ids.enumerated() {
            guard let entry = entries.first(where: { $0.calibrationId == id }) else {
                throw PEtabError(
                    file: ensemble.file, line: 1, column: id,
                    "calibration parameter '\(id)' is not in the mapping \(file) (add a row: calibrationId, modelId; an empty modelId if it is not a model parameter)"
                )
            }
            guard let model = entry.modelId else { continue }
            guard settable(model) else {
                throw PEtabError(
                    file: file, line: entry.line, column: "modelId",
                    "'\(model)' is not a constant parameter of the model that a simulation can set" + Spelling.didYouMean(model, among: known))
            }
            if let other = used[model] {
                throw PEtabError(file: file, line: entry.line, column: "modelId", "'\(model)' is already the target of '\(other)'")
            }
            used[model] = id
            targets.append((k, model))
        }
        return ensemble.values.map { row in
            var v: [String: Double] = [:]
            for t in targets { v[t.model] = row[t.column] }
            return v
        }
    }
}

// MARK: - The knockout screen over an ensemble

/// How many members of an ensemble agree with the nominal screen's calls.
public struct EnsembleAgreement: Sendable {
    public var members: Int
    /// Members with distinct parameter values (each simulated once).
    public var distinct: Int
    /// Members whose simulations failed (under any condition), with the first reason; they are
    /// left out of the shares.
    public var failed: [(member: Int, reason: String)]
    public var simulations: Int
    public var seconds: Double
    /// The ensemble and mapping files, for reports.
    public var ensembleFile: String
    public var mappingFile: String

    public init(
        members: Int, distinct: Int, failed: [(member: Int, reason: String)], simulations: Int, seconds: Double, ensembleFile: String,
        mappingFile: String
    ) {
        self.members = members
        self.distinct = distinct
        self.failed = failed
        self.simulations = simulations
        self.seconds = seconds
        self.ensembleFile = ensembleFile
        self.mappingFile = mappingFile
    }
}

/// Runs an experiment's knockout screen for every member of an ensemble and sets each effect's
/// `agreement`: the share of members (that simulated) whose call equals the nominal call.
///
/// Each member is a variant of one compiled screening model per protocol group (conditions with
/// steps of their own form groups, as in `KnockoutScreen`): its untreated culture settles once
/// (`VariantScreen.Settling.perVariant`), then every condition and both arms start from that
/// state. Each member's calls use its own uninhibited effect as reference, with the screen's call
/// rules. Members with the same values are simulated once and counted as often as they appear.
public enum EnsembleScreen {
    public static func run(
        _ e: Experiment, nominal: inout ScreenResult, members: [[String: Double]], ensembleFile: String = "", mappingFile: String = "",
        options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> EnsembleAgreement {
        let started = Date()
        let conditions = e.conditions
        // Distinct members, and which distinct set each member is.
        let (distinct, slot) = Ensemble.distinct(members)
        var groups: [(steps: [PlateProtocol.Step], members: [Int])] = []
        for (i, c) in conditions.enumerated() {
            if let g = groups.firstIndex(where: { $0.steps == c.steps }) { groups[g].members.append(i) } else { groups.append((c.steps, [i])) }
        }
        let allDrugs = VariantScreen.drugs(of: conditions)
        // outcomes[distinct][condition]
        var outcomes = [[VariantScreen.Outcome]](
            repeating: [VariantScreen.Outcome](repeating: .failure("not simulated"), count: conditions.count), count: distinct.count)
        var simulations = 0
        for g in groups {
            var ge = e
            ge.protocolSteps = PlateProtocol(steps: e.protocolSteps.steps + g.steps)
            let drugs = g.steps.isEmpty ? allDrugs : VariantScreen.drugs(of: g.members.map { conditions[$0] })
            let screen = try VariantScreen(ge, drugs: drugs, settling: .perVariant, options: options)
            let groupConditions = g.members.map { conditions[$0] }
            let results = screen.run(variants: distinct, conditions: groupConditions, threads: threads)
            for (v, row) in results.enumerated() { for (k, r) in row.enumerated() { outcomes[v][g.members[k]] = r } }
            simulations += screen.simulationCount(variants: distinct.count, conditions: groupConditions.count)
        }

        // Each distinct member's calls: calls[distinct][condition][time * readouts + readout].
        let rules = e.callRules
        let readouts = e.readouts, times = e.readoutTimes
        var failed: [(Int, String)] = []
        var calls: [[[Effect.Call]]?] = []
        for v in 0 ..< distinct.count {
            var reason: String?
            for o in outcomes[v] { if case .failure(let why) = o { reason = why; break } }
            if let reason {
                calls.append(nil)
                for (m, s) in slot.enumerated() where s == v { failed.append((m, reason)) }
                continue
            }
            let reference = outcomes[v][0].value!
            calls.append(
                conditions.indices.map { c in
                    let arms = outcomes[v][c].value!
                    var out: [Effect.Call] = []
                    for ti in times.indices {
                        for ri in readouts.indices {
                            let levels = CallLevels(
                                referenceVehicle: reference.vehicle[ti][ri], referenceTreated: reference.treated[ti][ri],
                                vehicle: arms.vehicle[ti][ri], treated: arms.treated[ti][ri])
                            out.append(rules.judge(levels, readout: readouts[ri], isReference: c == 0).call)
                        }
                    }
                    return out
                })
        }
        failed.sort { $0.0 < $1.0 }
        let counted = slot.filter { calls[$0] != nil }
        for c in nominal.conditions.indices where nominal.conditions[c].failure == nil {
            for k in nominal.conditions[c].effects.indices {
                let call = nominal.conditions[c].effects[k].call
                let agree = counted.filter { calls[$0]![c][k] == call }.count
                nominal.conditions[c].effects[k].agreement = counted.isEmpty ? nil : Double(agree) / Double(counted.count)
            }
        }
        let summary = EnsembleAgreement(
            members: members.count, distinct: distinct.count, failed: failed, simulations: simulations,
            seconds: Date().timeIntervalSince(started), ensembleFile: ensembleFile, mappingFile: mappingFile)
        nominal.ensemble = summary
        return summary
    }

    /// Agreement figures of a screen run over an ensemble: calls with agreement at or above
    /// `level`, and the calls below it (condition, readout, time, call, agreement).
    public static func tally(_ r: ScreenResult, level: Double = 0.8) -> (
        total: Int, atLeast: Int, below: [(condition: String, readout: String, time: Double, call: Effect.Call, agreement: Double)]
    ) {
        var total = 0, atLeast = 0
        var below: [(String, String, Double, Effect.Call, Double)] = []
        for c in r.conditions where c.failure == nil {
            for e in c.effects {
                guard let a = e.agreement else { continue }
                total += 1
                if a >= level { atLeast += 1 } else { below.append((c.condition.id, e.readout, e.time, e.call, a)) }
            }
        }
        return (total, atLeast, below)
    }
}
