import CascadeCore
import CascadeSolver
import Foundation

// MARK: - Running

extension Scorecard {
    /// What one arm must report: output times, readouts and dense windows.
    struct Need {
        var times: Set<Double> = []
        var readouts: Set<String> = []
        var dense: [ClosedRange<Double>] = []
    }

    /// One simulation of an arm: the compiled model (by key), its inputs, start and outputs.
    struct Job: Sendable {
        var arm: Arm
        var key: String
        var inputs: [String: Double]
        var start: Double
        var times: [Double]
        var readouts: [String]

        var description: String {
            "protocol '\(arm.protocolName)'\(arm.treated ? "" : " (vehicle)")\(arm.label.isEmpty ? "" : " with \(arm.label)")"
        }
    }

    /// The models compiled for a run: one per protocol structure (protocol + which hooks),
    /// parameterised, shared by every parameter set.
    typealias CompiledProtocols = [String: (applied: AppliedProtocol, compiled: CompiledModel)]

    /// Runs every check on the model and judges it. Runs are shared between checks and
    /// executed in parallel (results do not depend on the number of threads).
    public func run(on model: Model, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [FindingResult] {
        var compiled: CompiledProtocols = [:]
        let jobs = try self.jobs(on: model, values: [:], needs: needs(), compiled: &compiled)
        return judge(try series(jobs, simulate([jobs], compiled: compiled, threads: threads)[0]).get())
    }

    /// The simulated arms of one parameter set, or the first failed arm with its reason.
    func series(_ jobs: [Job], _ results: [Result<ScorecardSeries, any Error>]) -> Result<[Arm: ScorecardSeries], ProtocolError> {
        var series: [Arm: ScorecardSeries] = [:]
        for (i, job) in jobs.enumerated() {
            switch results[i] {
            case .success(let s): series[job.arm] = s
            case .failure(let e): return .failure(ProtocolError("\(job.description): \(e)"))
            }
        }
        return .success(series)
    }

    /// Which arms the addressed findings need, with their readouts and times.
    func needs() -> [Arm: Need] {
        var needs: [Arm: Need] = [:]
        func need(_ a: Arm, _ readout: String, time: Double? = nil, dense: ClosedRange<Double>? = nil) {
            var n = needs[a] ?? Need()
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
                case .meanChange(_, _, let w):
                    need(c.test, c.readout, dense: w)
                    need(c.control, c.readout, dense: w)
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
        return needs
    }

    /// The simulations of every needed arm for one parameter set: `values` replace the model's
    /// declared values (a calibrated ensemble member); the protocol's settings, steps and hooks
    /// and the arm's genotype act on top of them, and a hook returns to the set's value at the
    /// end of its window. Models are compiled into `compiled` the first time a structure is met.
    func jobs(on model: Model, values: [String: Double], needs: [Arm: Need], compiled: inout CompiledProtocols) throws -> [Job] {
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
                full = full.adding([
                    .init(time: window.lowerBound, parameter: id, value: arm.hooks[id]!),
                    .init(time: window.upperBound, parameter: id, value: values[id] ?? declared),
                ])
            }
            let key = p.name + "|" + hookIds.joined(separator: ",") + "|\(window.lowerBound),\(window.upperBound)"
            if compiled[key] == nil {
                var structure = p
                for id in hookIds {
                    structure = structure.adding([
                        .init(time: window.lowerBound, parameter: id, value: 0),
                        .init(time: window.upperBound, parameter: id, value: 0),
                    ])
                }
                let applied = try structure.applied(to: model, parameterised: true)
                compiled[key] = (applied, try CompiledModel(applied.model))
            }
            var inputs = values
            for (k, v) in try compiled[key]!.applied.inputs(for: full) { inputs[k] = v }
            for (k, v) in p.settings { inputs[k] = v }
            for (k, v) in arm.genotype { inputs[k] = v }
            let first = min(full.firstStepTime ?? 0, 0)
            let start = arm.genotype.isEmpty ? first : min(first, -equilibration)
            var times = Set(n.times)
            for w in n.dense { times.formUnion(Scorecard.grid(w)) }
            let sorted = times.filter { $0 >= start }.sorted()
            jobs.append(Job(arm: arm, key: key, inputs: inputs, start: start, times: sorted, readouts: n.readouts.sorted()))
        }
        return jobs
    }

    /// Simulates every job of every parameter set in one parallel run (one Simulator per worker
    /// and compiled model): `result[set][job]`.
    func simulate(_ sets: [[Job]], compiled: CompiledProtocols, threads: Int) -> [[Result<ScorecardSeries, any Error>]] {
        var solverOptions = SolverOptions(relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance)
        solverOptions.maxSteps = 200_000
        let options = solverOptions
        let models = compiled.mapValues(\.compiled)
        let flat = sets.flatMap { $0 }
        let results = ParallelRunner(threads: threads).run(count: flat.count, worker: { [String: Simulator]() }) { simulators, i in
            let job = flat[i]
            let sim: Simulator
            if let s = simulators[job.key] {
                sim = s
            } else {
                sim = try Simulator(models[job.key]!, options: options)
                simulators[job.key] = sim
            }
            let traj = try sim.simulate(times: job.times, outputs: job.readouts.map { OutputColumn($0) }, inputs: job.inputs, start: job.start)
            return ScorecardSeries(times: job.times, readouts: job.readouts, trajectory: traj)
        }
        var out: [[Result<ScorecardSeries, any Error>]] = []
        var k = 0
        for set in sets {
            out.append(Array(results[k ..< k + set.count]))
            k += set.count
        }
        return out
    }

    /// Judges every finding on the simulated arms.
    func judge(_ series: [Arm: ScorecardSeries]) -> [FindingResult] {
        var out: [FindingResult] = []
        for f in findings {
            guard f.addressed else {
                out.append(
                    FindingResult(
                        id: f.id, addressed: false, reproduced: false, figure: "",
                        note: "not addressed: " + f.reason, checks: [], claim: f.claim, basis: f.basis, set: f.set))
                continue
            }
            let checks = f.checks.map { judge($0, series) }
            let reproduced = checks.allSatisfy(\.passed)
            var note = f.claim
            if !f.note.isEmpty { note += " — " + f.note }
            if !reproduced {
                note += " — failed: " + checks.filter { !$0.passed }.map(\.check.what).joined(separator: "; ")
            }
            out.append(
                FindingResult(
                    id: f.id, addressed: true, reproduced: reproduced,
                    figure: checks.map(\.figure).joined(separator: "; "), note: note, checks: checks,
                    claim: f.claim, basis: f.basis, set: f.set))
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
            return CheckResult(
                check: c, passed: abs(r) <= tol, figure: "\(c.readout) \(Scorecard.percent(r)) at \(when) (|change| <= \(Scorecard.percent(tol, sign: false)))")
        case .range(let lo, let hi, let ofChange):
            if ofChange {
                let r = rel(test, control)
                return CheckResult(
                    check: c, passed: r >= lo && r <= hi,
                    figure: "\(c.readout) \(Scorecard.percent(r)) at \(when) (expected \(Scorecard.percent(lo)) to \(Scorecard.percent(hi)))")
            }
            let v = test.value(c.readout, at: c.time)
            return CheckResult(
                check: c, passed: v >= lo && v <= hi,
                figure: "\(c.readout) = \(Scorecard.num(v)) at \(when) (expected \(Scorecard.num(lo))-\(Scorecard.num(hi)))")
        case .meanChange(let lo, let hi, let w):
            let r = Scorecard.relativeChange(test.mean(c.readout, over: w), control.mean(c.readout, over: w))
            let span = "\(TreatmentProtocol.describe(seconds: w.lowerBound))-\(TreatmentProtocol.describe(seconds: w.upperBound))"
            return CheckResult(
                check: c, passed: r >= lo && r <= hi,
                figure: "\(c.readout) mean over \(span) \(Scorecard.percent(r)) (expected \(Scorecard.percent(lo)) to \(Scorecard.percent(hi)))")
        case .blocked(let cond, let maxRetained), .notBlocked(let cond, let maxRetained):
            let base = log2fc(test.value(c.readout, at: c.time), control.value(c.readout, at: c.time))
            let ct = series[with(c.test, cond)]!, cc = series[with(c.control, cond)]!
            let under = log2fc(ct.value(c.readout, at: c.time), cc.value(c.readout, at: c.time))
            let retained = base == 0 ? (under == 0 ? 1 : .infinity) : under / base
            let blocked: Bool
            if case .blocked = c.expectation { blocked = true } else { blocked = false }
            let passed = blocked ? retained <= maxRetained : retained >= maxRetained
            let fig =
                "\(c.readout) \(Scorecard.percent(pow(2, base) - 1)) at \(when), with \(cond.label) \(Scorecard.percent(pow(2, under) - 1)) (retained \(Scorecard.percent(retained, sign: false)))"
            return CheckResult(check: c, passed: passed, figure: fig)
        case .peakWithin(let lo, let hi, let w):
            let (tp, vp) = test.peak(c.readout, in: w)
            return CheckResult(
                check: c, passed: tp >= lo && tp <= hi,
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
                return CheckResult(
                    check: c, passed: false,
                    figure:
                        "\(c.readout) peaks \(Scorecard.percent(effects[k])) at \(TreatmentProtocol.describe(seconds: ts[k])), not halved by \(TreatmentProtocol.describe(seconds: w.upperBound))"
                )
            }
            return CheckResult(
                check: c, passed: h >= lo && h <= hi,
                figure:
                    "\(c.readout) peaks \(Scorecard.percent(effects[k])) at \(TreatmentProtocol.describe(seconds: ts[k])), half gone at \(TreatmentProtocol.describe(seconds: h))"
            )
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
            return CheckResult(
                check: c, passed: c.strict ? a < b : a <= b,
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

    /// The time average of a readout over a window (trapezoidal rule on the output times in it,
    /// which include both ends).
    func mean(_ readout: String, over w: ClosedRange<Double>) -> Double {
        let ts = grid(in: w)
        guard ts.count > 1, let first = ts.first, let last = ts.last, last > first else { return value(readout, at: w.lowerBound) }
        var area = 0.0
        for k in 1 ..< ts.count { area += 0.5 * (value(readout, at: ts[k - 1]) + value(readout, at: ts[k])) * (ts[k] - ts[k - 1]) }
        return area / (last - first)
    }

    func peak(_ readout: String, in w: ClosedRange<Double>) -> (Double, Double) {
        var best = (w.lowerBound, -Double.infinity)
        for t in grid(in: w) {
            let v = value(readout, at: t)
            if v > best.1 { best = (t, v) }
        }
        return best
    }
}
