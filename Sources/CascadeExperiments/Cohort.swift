import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

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
        let drugs = VariantScreen.drugs(of: conditions)

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
                throw InputError(
                    file: url.path, field: "--readout",
                    message: "unknown readout '\(rReadout)' in model '\(experiment.model.id)'"
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
        return CohortExperiment(
            file: url.path, experiment: experiment, line: line, hypothesis: hypothesis, spec: spec,
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
        let predictions = Ensemble.predictions(
            results, conditions: ce.conditions, readouts: ce.screen.readouts,
            times: ce.screen.times, rules: ce.experiment.callRules, share: ce.consensus)
        let ti = ce.screen.times.firstIndex(of: ce.responder.time)!
        let ri = ce.screen.readouts.firstIndex(of: ce.responder.readout)!
        let outcome: [Double?] = results.map { r in
            r[0].value.flatMap { KnockoutScreen.log2FoldChange($0.vehicle[ti][ri], $0.treated[ti][ri]) }
        }
        let analysis = CohortAnalysis.analyse(cohort, outcome: outcome, definition: ce.responder)
        return CohortResult(
            experiment: ce, cohort: cohort, predictions: predictions, analysis: analysis, failures: failures,
            simulations: ce.screen.simulationCount(variants: variants.count, conditions: ce.conditions.count),
            seconds: Date().timeIntervalSince(started))
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
        throw node.error(
            "line '\(line.id)' sets unknown parameter '\(id)': not a constant parameter of model '\(screen.experiment.model.id)' that a simulation can set")
    }
    return line
}
