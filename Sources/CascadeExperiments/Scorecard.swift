import CascadeCore
import CascadeSolver
import Foundation
import Yams

/// A literature scorecard: findings from the literature turned into executable checks on a model.
///
/// Each check runs a *test* arm and a *control* arm (by default the protocol with its treatment
/// versus the same protocol as vehicle, both under the same hooks and genotype) and judges a
/// readout at a time: a direction (`up`, `down`, `unchanged`), a range, whether a condition blocks
/// the response (`blocked`, `not_blocked`: the log fold change kept under the condition), the time
/// of a peak, or the decay of an effect. A finding is reproduced when all its checks pass.
///
///     let card = try Scorecard.load(contentsOf: URL(fileURLWithPath: "models/scorecard.yaml"))
///     let model = try Antimony.parse(contentsOf: URL(fileURLWithPath: "models/ketamine.ant"))
///     let results = try card.run(on: model)
///     print(Scorecard.table(results))
///
/// The file format is described in models/README.md ("The scorecard").
public struct Scorecard: Sendable {
    /// How a run is built: a protocol, with or without its treatment, acute hooks and a genotype.
    public struct Arm: Hashable, Sendable {
        public var protocolName: String
        /// False: the protocol's treatment steps set their parameters to 0 (vehicle).
        public var treated: Bool
        /// Acute settings (inhibitors): on at the start of the hook window, back to the model's
        /// value at its end.
        public var hooks: [String: Double]
        /// Chronic settings (knockdowns, knock-ins, mode switches): held from the start of a long
        /// equilibration before the protocol.
        public var genotype: [String: Double]
        /// When acute hooks are on (seconds); nil: the scorecard's default window.
        public var hookWindow: ClosedRange<Double>?

        public init(protocolName: String, treated: Bool, hooks: [String: Double] = [:], genotype: [String: Double] = [:],
                    hookWindow: ClosedRange<Double>? = nil) {
            self.protocolName = protocolName
            self.treated = treated
            self.hooks = hooks
            self.genotype = genotype
            self.hookWindow = hookWindow
        }

        var label: String {
            var parts: [String] = []
            if !hooks.isEmpty { parts.append(hooks.sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")) }
            if !genotype.isEmpty { parts.append(genotype.sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")) }
            return parts.joined(separator: "; ")
        }
    }

    /// Extra hooks and genotype for the `blocked` / `not_blocked` comparisons.
    public struct Condition: Hashable, Sendable {
        public var hooks: [String: Double] = [:]
        public var genotype: [String: Double] = [:]
        /// When the condition's hooks are on; nil: the check's window.
        public var hookWindow: ClosedRange<Double>?
        public init(hooks: [String: Double] = [:], genotype: [String: Double] = [:], hookWindow: ClosedRange<Double>? = nil) {
            self.hooks = hooks
            self.genotype = genotype
            self.hookWindow = hookWindow
        }
        var label: String {
            (hooks.merging(genotype) { a, _ in a }).sorted { $0.key < $1.key }.map { "\($0.key)=\(Scorecard.num($0.value))" }.joined(separator: ", ")
        }
    }

    /// What a check expects.
    public enum Expectation: Hashable, Sendable {
        /// Relative change (test/control - 1) at least `by`.
        case up(by: Double)
        /// Relative change at most `-by`.
        case down(by: Double)
        /// |relative change| at most `tolerance`.
        case unchanged(tolerance: Double)
        /// The test arm's value (or, with `ofChange`, its relative change) within [lo, hi].
        case range(lo: Double, hi: Double, ofChange: Bool)
        /// Under the condition, the response keeps at most this share of its log fold change.
        case blocked(Condition, maxRetained: Double)
        /// Under the condition, the response keeps at least this share of its log fold change.
        case notBlocked(Condition, minRetained: Double)
        /// The test arm's readout peaks (its maximum over `window`) at a time within [lo, hi].
        case peakWithin(lo: Double, hi: Double, window: ClosedRange<Double>)
        /// The relative effect (test/control - 1) peaks in `window` and then falls to half its
        /// peak at a time (from time 0) within [lo, hi].
        case halfDecayWithin(lo: Double, hi: Double, window: ClosedRange<Double>)
        /// The relative effect on `readout` reaches half its extreme (in `window`) no later than
        /// that on `other`.
        case precedes(other: String, window: ClosedRange<Double>)
    }

    public struct Check: Hashable, Sendable {
        public var what: String
        public var readout: String
        public var time: Double
        public var test: Arm
        public var control: Arm
        public var expectation: Expectation
    }

    public struct Finding: Hashable, Sendable {
        public var id: String
        public var claim: String
        public var source: String
        /// False: the model cannot address the finding; `reason` says why.
        public var addressed: Bool
        public var reason: String
        public var checks: [Check]
        /// Shown in the note of the result (caveats, what the figure means).
        public var note: String
    }

    public var protocols: [String: TreatmentProtocol]
    public var findings: [Finding]
    /// Acute hooks are on from `hookWindow.lowerBound` to `hookWindow.upperBound` (seconds).
    public var hookWindow: ClosedRange<Double> = -1800 ... 3600
    /// Runs with a genotype start this long before time 0.
    public var equilibration: Double = 20 * 86400
    public var relativeTolerance: Double = 1e-7
    public var absoluteTolerance: Double = 1e-14

    // MARK: Results

    public struct CheckResult: Hashable, Sendable {
        public var check: Check
        public var passed: Bool
        public var figure: String
    }

    public struct FindingResult: Hashable, Sendable {
        public var id: String
        public var addressed: Bool
        public var reproduced: Bool
        public var figure: String
        public var note: String
        public var checks: [CheckResult]
    }
}

// MARK: - Loading

extension Scorecard {
    public static func load(contentsOf url: URL) throws -> Scorecard {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ProtocolError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch let e as ProtocolError {
            throw ProtocolError("\(url.path): \(e.description)")
        }
    }

    public static func parse(_ text: String) throws -> Scorecard {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ProtocolError("not valid YAML: \(error)")
        }
        guard let top = root as? [String: Any] else { throw ProtocolError("the scorecard must be a mapping with 'protocols' and 'findings'") }
        var card = Scorecard(protocols: [:], findings: [])
        let defaults = top["defaults"] as? [String: Any] ?? [:]
        if let w = defaults["hook_window"] {
            let r = try timeRange(w, "defaults.hook_window")
            card.hookWindow = r
        }
        if let e = defaults["equilibration"] { card.equilibration = try time(e, "defaults.equilibration") }
        if let r = defaults["rtol"] { card.relativeTolerance = try number(r, "defaults.rtol") }
        if let a = defaults["atol"] { card.absoluteTolerance = try number(a, "defaults.atol") }
        let defaultProtocol = defaults["protocol"] as? String

        guard let protocols = top["protocols"] as? [String: Any] else { throw ProtocolError("missing 'protocols' mapping") }
        for (name, body) in protocols {
            guard let b = body as? [String: Any] else { throw ProtocolError("protocol '\(name)' must be a mapping") }
            var steps: [TreatmentProtocol.Step] = []
            for (i, s) in (b["steps"] as? [Any] ?? []).enumerated() {
                guard let m = s as? [String: Any], let p = m["set"] as? String else {
                    throw ProtocolError("protocol '\(name)', step \(i + 1): expected {at: TIME, set: ID, to: VALUE}")
                }
                steps.append(.init(time: try time(m["at"] ?? 0, "protocol '\(name)', step \(i + 1), at"),
                                   parameter: p, value: try number(m["to"] as Any, "protocol '\(name)', step \(i + 1), to")))
            }
            let settings = try values(b["settings"], "protocol '\(name)', settings")
            card.protocols[name] = TreatmentProtocol(name: name, description: b["description"] as? String ?? "",
                                                     steps: steps, settings: settings)
        }

        guard let findings = top["findings"] as? [Any] else { throw ProtocolError("missing 'findings' list") }
        for (fi, f) in findings.enumerated() {
            guard let m = f as? [String: Any], let id = m["id"] as? String else {
                throw ProtocolError("finding \(fi + 1): expected a mapping with an 'id'")
            }
            var finding = Finding(id: id, claim: m["claim"] as? String ?? "", source: m["source"] as? String ?? "",
                                  addressed: m["addressed"] as? Bool ?? true, reason: m["reason"] as? String ?? "",
                                  checks: [], note: m["note"] as? String ?? "")
            if finding.addressed {
                guard let checks = m["checks"] as? [Any], !checks.isEmpty else {
                    throw ProtocolError("finding \(id): needs 'checks' (or 'addressed: false' with a 'reason')")
                }
                for (ci, c) in checks.enumerated() {
                    guard let cm = c as? [String: Any] else { throw ProtocolError("finding \(id), check \(ci + 1): expected a mapping") }
                    finding.checks.append(try check(cm, where: "finding \(id), check \(ci + 1)", defaultProtocol: defaultProtocol,
                                                    protocols: card.protocols))
                }
            } else if finding.reason.isEmpty {
                throw ProtocolError("finding \(id): 'addressed: false' needs a 'reason'")
            }
            card.findings.append(finding)
        }
        return card
    }

    static func check(_ m: [String: Any], where w: String, defaultProtocol: String?, protocols: [String: TreatmentProtocol]) throws -> Check {
        guard let readout = m["readout"] as? String else { throw ProtocolError("\(w): missing 'readout'") }
        guard let protocolName = (m["protocol"] as? String) ?? defaultProtocol else { throw ProtocolError("\(w): missing 'protocol'") }
        guard protocols[protocolName] != nil else { throw ProtocolError("\(w): unknown protocol '\(protocolName)'") }
        let hooks = try values(m["hooks"], "\(w), hooks")
        let genotype = try values(m["genotype"], "\(w), genotype")
        let hookWin = try m["hook_window"].map { try timeRange($0, "\(w), hook_window") }
        func arm(_ key: String, treated: Bool) throws -> Arm {
            var a = Arm(protocolName: protocolName, treated: treated, hooks: hooks, genotype: genotype, hookWindow: hookWin)
            guard let o = m[key] else { return a }
            guard let om = o as? [String: Any] else { throw ProtocolError("\(w), \(key): expected a mapping") }
            if let p = om["protocol"] as? String {
                guard protocols[p] != nil else { throw ProtocolError("\(w), \(key): unknown protocol '\(p)'") }
                a.protocolName = p
            }
            if let t = om["treated"] as? Bool { a.treated = t }
            if om["hooks"] != nil { a.hooks = try values(om["hooks"], "\(w), \(key).hooks") }
            if om["genotype"] != nil { a.genotype = try values(om["genotype"], "\(w), \(key).genotype") }
            return a
        }
        let test = try arm("test", treated: true)
        let control = try arm("control", treated: false)
        let t = try m["time"].map { try time($0, "\(w), time") } ?? 0
        guard let expect = m["expect"] as? String else { throw ProtocolError("\(w): missing 'expect'") }
        func window() throws -> ClosedRange<Double> {
            guard let wv = m["window"] else { throw ProtocolError("\(w): '\(expect)' needs a 'window: [FROM, TO]'") }
            return try timeRange(wv, "\(w), window")
        }
        func condition() throws -> Condition {
            guard let c = m["condition"] as? [String: Any] else { throw ProtocolError("\(w): '\(expect)' needs a 'condition' with hooks or genotype") }
            let cond = Condition(hooks: try values(c["hooks"], "\(w), condition.hooks"), genotype: try values(c["genotype"], "\(w), condition.genotype"),
                                 hookWindow: try c["hook_window"].map { try timeRange($0, "\(w), condition.hook_window") })
            if cond.hooks.isEmpty && cond.genotype.isEmpty { throw ProtocolError("\(w): the condition sets nothing") }
            return cond
        }
        let e: Expectation
        switch expect {
        case "up": e = .up(by: try m["by"].map { try number($0, "\(w), by") } ?? 0.05)
        case "down": e = .down(by: try m["by"].map { try number($0, "\(w), by") } ?? 0.05)
        case "unchanged": e = .unchanged(tolerance: try m["tolerance"].map { try number($0, "\(w), tolerance") } ?? 0.05)
        case "range":
            guard let r = m["range"] as? [Any], r.count == 2 else { throw ProtocolError("\(w): 'range' needs [LO, HI]") }
            let of = m["of"] as? String ?? "value"
            guard of == "value" || of == "change" else { throw ProtocolError("\(w): 'of' must be value or change") }
            e = .range(lo: try number(r[0], "\(w), range"), hi: try number(r[1], "\(w), range"), ofChange: of == "change")
        case "blocked": e = .blocked(try condition(), maxRetained: try m["max_retained"].map { try number($0, "\(w), max_retained") } ?? 0.3)
        case "not_blocked": e = .notBlocked(try condition(), minRetained: try m["min_retained"].map { try number($0, "\(w), min_retained") } ?? 0.5)
        case "peak_within":
            let r = try timeRange(m["within"] as Any, "\(w), within")
            e = .peakWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "half_decay_within":
            let r = try timeRange(m["within"] as Any, "\(w), within")
            e = .halfDecayWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "precedes":
            guard let other = m["then"] as? String else { throw ProtocolError("\(w): 'precedes' needs 'then: READOUT'") }
            e = .precedes(other: other, window: try window())
        default:
            throw ProtocolError("\(w): unknown expectation '\(expect)' (up, down, unchanged, range, blocked, not_blocked, peak_within, half_decay_within, precedes)")
        }
        return Check(what: m["what"] as? String ?? readout, readout: readout, time: t, test: test, control: control, expectation: e)
    }

    static func number(_ v: Any, _ w: String) throws -> Double {
        switch v {
        case let d as Double: return d
        case let i as Int: return Double(i)
        case let s as String: if let d = Double(s) { return d }
        default: break
        }
        throw ProtocolError("\(w): expected a number, found '\(v)'")
    }

    static func time(_ v: Any, _ w: String) throws -> Double {
        switch v {
        case let d as Double: return d
        case let i as Int: return Double(i)
        case let s as String: if let d = TreatmentProtocol.seconds(from: s) { return d }
        default: break
        }
        throw ProtocolError("\(w): expected a time such as 3600, '30 min', '2 h' or '3 d', found '\(v)'")
    }

    static func timeRange(_ v: Any, _ w: String) throws -> ClosedRange<Double> {
        guard let a = v as? [Any], a.count == 2 else { throw ProtocolError("\(w): expected [FROM, TO]") }
        let lo = try time(a[0], w), hi = try time(a[1], w)
        guard lo <= hi else { throw ProtocolError("\(w): FROM is after TO") }
        return lo ... hi
    }

    static func values(_ v: Any?, _ w: String) throws -> [String: Double] {
        guard let v else { return [:] }
        guard let m = v as? [String: Any] else { throw ProtocolError("\(w): expected a mapping ID: VALUE") }
        var out: [String: Double] = [:]
        for (k, x) in m { out[k] = try number(x, "\(w).\(k)") }
        return out
    }
}

// MARK: - Running

extension Scorecard {
    /// A run: one arm simulated on a set of output times.
    struct RunKey: Hashable {
        var arm: Arm
    }

    /// Runs every check on the model and judges it. Runs are shared between checks and
    /// executed in parallel (results do not depend on the number of threads).
    public func run(on model: Model, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [FindingResult] {
        // 1. Which arms, which readouts, which times.
        var needs: [Arm: (times: Set<Double>, readouts: Set<String>, dense: [ClosedRange<Double>])] = [:]
        func need(_ a: Arm, _ readout: String, time: Double? = nil, dense: ClosedRange<Double>? = nil) {
            var n = needs[a] ?? ([], [], [])
            if let time { n.times.insert(time) }
            if let dense { n.dense.append(dense) }
            n.readouts.insert(readout)
            needs[a] = n
        }
        for f in findings where f.addressed {
            for c in f.checks {
                switch c.expectation {
                case .up, .down, .unchanged, .range:
                    need(c.test, c.readout, time: c.time)
                    need(c.control, c.readout, time: c.time)
                case .blocked(let cond, _), .notBlocked(let cond, _):
                    need(c.test, c.readout, time: c.time)
                    need(c.control, c.readout, time: c.time)
                    need(with(c.test, cond), c.readout, time: c.time)
                    need(with(c.control, cond), c.readout, time: c.time)
                case .peakWithin(_, _, let w):
                    need(c.test, c.readout, dense: w)
                case .halfDecayWithin(_, _, let w):
                    need(c.test, c.readout, dense: w)
                    need(c.control, c.readout, dense: w)
                case .precedes(let other, let w):
                    for r in [c.readout, other] {
                        need(c.test, r, dense: w)
                        need(c.control, r, dense: w)
                    }
                }
            }
        }

        // 2. Compile one model per protocol structure (protocol + which hooks), parameterised.
        var compiledByKey: [String: (applied: AppliedProtocol, compiled: CompiledModel)] = [:]
        struct Job { var arm: Arm; var key: String; var steps: TreatmentProtocol; var inputs: [String: Double]; var start: Double; var times: [Double]; var readouts: [String] }
        var jobs: [Job] = []
        for (arm, n) in needs.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            guard let p = protocols[arm.protocolName] else { throw ProtocolError("unknown protocol '\(arm.protocolName)'") }
            var full = arm.treated ? p : p.vehicle()
            let hookIds = arm.hooks.keys.sorted()
            let window = arm.hookWindow ?? hookWindow
            for id in hookIds {
                guard let declared = model.parameter(id)?.value else {
                    throw ProtocolError("hook '\(id)' is not a parameter with a value in model '\(model.id)'")
                }
                full = full.adding([.init(time: window.lowerBound, parameter: id, value: arm.hooks[id]!),
                                    .init(time: window.upperBound, parameter: id, value: declared)])
            }
            let key = p.name + "|" + hookIds.joined(separator: ",") + "|\(window.lowerBound),\(window.upperBound)"
            if compiledByKey[key] == nil {
                var structure = p
                for id in hookIds {
                    structure = structure.adding([.init(time: window.lowerBound, parameter: id, value: 0),
                                                  .init(time: window.upperBound, parameter: id, value: 0)])
                }
                let applied = try structure.applied(to: model, parameterised: true)
                compiledByKey[key] = (applied, try CompiledModel(applied.model))
            }
            var inputs = try compiledByKey[key]!.applied.inputs(for: full)
            for (k, v) in p.settings { inputs[k] = v }
            for (k, v) in arm.genotype { inputs[k] = v }
            let first = min(full.firstStepTime ?? 0, 0)
            let start = arm.genotype.isEmpty ? first : min(first, -equilibration)
            var times = Set(n.times)
            for w in n.dense { times.formUnion(Scorecard.grid(w)) }
            let sorted = times.filter { $0 >= start }.sorted()
            jobs.append(Job(arm: arm, key: key, steps: full, inputs: inputs, start: start, times: sorted, readouts: n.readouts.sorted()))
        }

        // 3. Simulate (in parallel, one Simulator per job).
        var solverOptions = SolverOptions(relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance)
        solverOptions.maxSteps = 200_000
        let options = solverOptions
        let allJobs = jobs
        let results = ScorecardResults(count: jobs.count)
        let compiled = compiledByKey.mapValues(\.compiled)
        let next = ScorecardCounter()
        let workers = max(1, min(threads, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.take()
                if i >= allJobs.count { return }
                let job = allJobs[i]
                do {
                    let sim = try Simulator(compiled[job.key]!, options: options)
                    let traj = try sim.simulate(times: job.times, outputs: job.readouts.map { OutputColumn($0) },
                                                inputs: job.inputs, start: job.start)
                    results.set(i, .success(ScorecardSeries(times: job.times, readouts: job.readouts, trajectory: traj)))
                } catch {
                    results.set(i, .failure(error))
                }
            }
        }
        var series: [Arm: ScorecardSeries] = [:]
        for (i, job) in jobs.enumerated() {
            switch results.get(i)! {
            case .success(let s): series[job.arm] = s
            case .failure(let e):
                throw ProtocolError("protocol '\(job.arm.protocolName)'\(job.arm.treated ? "" : " (vehicle)")\(job.arm.label.isEmpty ? "" : " with \(job.arm.label)"): \(e)")
            }
        }

        // 4. Judge.
        var out: [FindingResult] = []
        for f in findings {
            guard f.addressed else {
                out.append(FindingResult(id: f.id, addressed: false, reproduced: false, figure: "",
                                         note: "not addressed: " + f.reason, checks: []))
                continue
            }
            let checks = f.checks.map { judge($0, series) }
            let reproduced = checks.allSatisfy(\.passed)
            var note = f.claim
            if !f.note.isEmpty { note += " — " + f.note }
            if !reproduced {
                note += " — failed: " + checks.filter { !$0.passed }.map(\.check.what).joined(separator: "; ")
            }
            out.append(FindingResult(id: f.id, addressed: true, reproduced: reproduced,
                                     figure: checks.map(\.figure).joined(separator: "; "), note: note, checks: checks))
        }
        return out
    }

    func with(_ a: Arm, _ c: Condition) -> Arm {
        var b = a
        b.hooks.merge(c.hooks) { _, new in new }
        b.genotype.merge(c.genotype) { _, new in new }
        if let w = c.hookWindow { b.hookWindow = w }
        return b
    }

    /// Output times over a window: every 30 s for the first 2 h after its start, then every
    /// 5 min to 12 h, then every hour.
    static func grid(_ w: ClosedRange<Double>) -> [Double] {
        var out: [Double] = [w.lowerBound, w.upperBound]
        var t = w.lowerBound
        while t < w.upperBound {
            out.append(t)
            let since = t - w.lowerBound
            t += since < 7200 ? 30 : (since < 43200 ? 300 : 3600)
        }
        return out
    }

    func judge(_ c: Check, _ series: [Arm: ScorecardSeries]) -> CheckResult {
        let test = series[c.test]!, control = series[c.control]!
        let when = TreatmentProtocol.describe(seconds: c.time)
        func rel(_ t: ScorecardSeries, _ v: ScorecardSeries) -> Double {
            let a = t.value(c.readout, at: c.time), b = v.value(c.readout, at: c.time)
            return Scorecard.relativeChange(a, b)
        }
        switch c.expectation {
        case .up(let by):
            let r = rel(test, control)
            return CheckResult(check: c, passed: r >= by, figure: "\(c.readout) \(Scorecard.percent(r)) at \(when)")
        case .down(let by):
            let r = rel(test, control)
            return CheckResult(check: c, passed: r <= -by, figure: "\(c.readout) \(Scorecard.percent(r)) at \(when)")
        case .unchanged(let tol):
            let r = rel(test, control)
            return CheckResult(check: c, passed: abs(r) <= tol, figure: "\(c.readout) \(Scorecard.percent(r)) at \(when) (|change| <= \(Scorecard.percent(tol, sign: false)))")
        case .range(let lo, let hi, let ofChange):
            if ofChange {
                let r = rel(test, control)
                return CheckResult(check: c, passed: r >= lo && r <= hi, figure: "\(c.readout) \(Scorecard.percent(r)) at \(when) (expected \(Scorecard.percent(lo)) to \(Scorecard.percent(hi)))")
            }
            let v = test.value(c.readout, at: c.time)
            return CheckResult(check: c, passed: v >= lo && v <= hi, figure: "\(c.readout) = \(Scorecard.num(v)) at \(when) (expected \(Scorecard.num(lo))-\(Scorecard.num(hi)))")
        case .blocked(let cond, let maxRetained), .notBlocked(let cond, let maxRetained):
            let base = log2fc(test.value(c.readout, at: c.time), control.value(c.readout, at: c.time))
            let ct = series[with(c.test, cond)]!, cc = series[with(c.control, cond)]!
            let under = log2fc(ct.value(c.readout, at: c.time), cc.value(c.readout, at: c.time))
            let retained = base == 0 ? (under == 0 ? 1 : .infinity) : under / base
            let blocked: Bool
            if case .blocked = c.expectation { blocked = true } else { blocked = false }
            let passed = blocked ? retained <= maxRetained : retained >= maxRetained
            let fig = "\(c.readout) \(Scorecard.percent(pow(2, base) - 1)) at \(when), with \(cond.label) \(Scorecard.percent(pow(2, under) - 1)) (retained \(Scorecard.percent(retained, sign: false)))"
            return CheckResult(check: c, passed: passed, figure: fig)
        case .peakWithin(let lo, let hi, let w):
            let (tp, vp) = test.peak(c.readout, in: w)
            return CheckResult(check: c, passed: tp >= lo && tp <= hi,
                               figure: "\(c.readout) peaks at \(TreatmentProtocol.describe(seconds: tp)) (\(Scorecard.num(vp)))")
        case .halfDecayWithin(let lo, let hi, let w):
            let ts = test.grid(in: w)
            let effects = ts.map { Scorecard.relativeChange(test.value(c.readout, at: $0), control.value(c.readout, at: $0)) }
            guard let k = effects.indices.max(by: { effects[$0] < effects[$1] }), effects[k] > 0 else {
                return CheckResult(check: c, passed: false, figure: "\(c.readout): no rise to decay")
            }
            var half: Double?
            for j in k ..< ts.count where effects[j] <= effects[k] / 2 {
                half = ts[j]
                break
            }
            guard let h = half else {
                return CheckResult(check: c, passed: false, figure: "\(c.readout) peaks \(Scorecard.percent(effects[k])) at \(TreatmentProtocol.describe(seconds: ts[k])), not halved by \(TreatmentProtocol.describe(seconds: w.upperBound))")
            }
            return CheckResult(check: c, passed: h >= lo && h <= hi,
                               figure: "\(c.readout) peaks \(Scorecard.percent(effects[k])) at \(TreatmentProtocol.describe(seconds: ts[k])), half gone at \(TreatmentProtocol.describe(seconds: h))")
        case .precedes(let other, let w):
            func halfTime(_ r: String) -> Double? {
                let ts = test.grid(in: w)
                let e = ts.map { Scorecard.relativeChange(test.value(r, at: $0), control.value(r, at: $0)) }
                guard let k = e.indices.max(by: { abs(e[$0]) < abs(e[$1]) }), e[k] != 0 else { return nil }
                return ts.indices.first { abs(e[$0]) >= abs(e[k]) / 2 }.map { ts[$0] }
            }
            guard let a = halfTime(c.readout), let b = halfTime(other) else {
                return CheckResult(check: c, passed: false, figure: "no change in \(c.readout) or \(other)")
            }
            return CheckResult(check: c, passed: a <= b,
                               figure: "half change: \(c.readout) at \(TreatmentProtocol.describe(seconds: a)), \(other) at \(TreatmentProtocol.describe(seconds: b))")
        }
    }

    func log2fc(_ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        return log2(max(a, tiny) / max(b, tiny))
    }

    static func relativeChange(_ a: Double, _ b: Double) -> Double {
        b == 0 ? (a == 0 ? 0 : .infinity) : (a - b) / abs(b)
    }

    static func percent(_ x: Double, sign: Bool = true) -> String {
        guard x.isFinite else { return x > 0 ? "+inf%" : "-inf%" }
        let p = x * 100
        let body = abs(p) >= 10 ? String(format: "%.0f", abs(p)) : String(format: "%.1f", abs(p))
        return (sign ? (p < 0 ? "-" : "+") : (p < 0 ? "-" : "")) + body + "%"
    }

    static func num(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%.3g", v)
    }
}

/// A simulated arm: readouts on output times.
struct ScorecardSeries: Sendable {
    var times: [Double]
    var readouts: [String]
    var trajectory: Trajectory

    func value(_ readout: String, at t: Double) -> Double {
        let c = readouts.firstIndex(of: readout)!
        // Exact output times are requested for every judged time; take the last row at t (the
        // value after any event at that instant).
        let r = times.lastIndex(of: t) ?? times.indices.min(by: { abs(times[$0] - t) < abs(times[$1] - t) })!
        return trajectory[r, c]
    }

    func grid(in w: ClosedRange<Double>) -> [Double] { times.filter { w.contains($0) } }

    func peak(_ readout: String, in w: ClosedRange<Double>) -> (Double, Double) {
        var best = (w.lowerBound, -Double.infinity)
        for t in grid(in: w) {
            let v = value(readout, at: t)
            if v > best.1 { best = (t, v) }
        }
        return best
    }
}

final class ScorecardResults: @unchecked Sendable {
    private var items: [Result<ScorecardSeries, Error>?]
    private let lock = NSLock()
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<ScorecardSeries, Error>) { lock.lock(); items[i] = r; lock.unlock() }
    func get(_ i: Int) -> Result<ScorecardSeries, Error>? { lock.lock(); defer { lock.unlock() }; return items[i] }
}

final class ScorecardCounter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n - 1 }
}
