import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

/// The objective's value at one parameter vector, with what optimisers and the Fisher
/// information need. Arrays over measurements follow the measurement table's rows; arrays over
/// parameters follow `PEtabObjective.parameterIds`.
public struct PEtabEvaluation: Sendable {
    /// The log-likelihood (larger is better).
    public var llh: Double
    /// Σ ((h(m) − h(y))/σ)² over all measurements.
    public var chi2: Double
    /// ∂llh/∂θ on the parameters' scales (nil unless asked for).
    public var gradient: [Double]?
    /// Per measurement: the simulated observable y (untransformed) and the noise σ.
    public var simulations: [Double]
    public var sigmas: [Double]
    /// Per measurement: r = (h(m) − h(y))/σ.
    public var residuals: [Double]
    /// Per measurement, per parameter: ∂r/∂θ and ∂σ/∂θ (nil unless the gradient was asked for).
    public var residualSensitivities: [[Double]]?
    public var sigmaSensitivities: [[Double]]?
    /// Number of measurements with Laplace noise (their residuals do not make a Gauss-Newton
    /// Hessian exact).
    public var laplaceCount: Int
    /// The expected Fisher information of the parameters (np × np, row-major by parameter; nil
    /// unless the gradient was asked for): per measurement, with g = h'(y)·∂y/∂θ / σ and
    /// s = ∂σ/∂θ / σ, g gᵀ + 2 s sᵀ (normal) or g gᵀ + s sᵀ (Laplace): the Gauss-Newton
    /// approximation of −∇²llh a trust-region optimiser uses (as fides does).
    public var fisherInformation: [[Double]]?
}

/// What one job's simulation returned: values (times × outputs) and, with sensitivities,
/// ∂value/∂θ (times × outputs × parameters).
struct JobResult {
    var values: [Double]
    var sensitivities: [Double]?
}

extension PEtabObjective {
    /// Evaluates the objective at `parameters` (θ, on the parameters' scales, in `parameterIds`
    /// order). With `gradient`, the gradient and the sensitivities of residuals and noise come
    /// from forward sensitivities. Throws when a simulation fails, naming its conditions.
    public func evaluate(
        parameters theta: [Double], gradient: Bool = false,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> PEtabEvaluation {
        guard theta.count == parameterIds.count else {
            throw PEtabError(file: problem.parameterFile, "\(theta.count) parameter values given, \(parameterIds.count) parameters are estimated")
        }
        for (i, x) in theta.enumerated() where !x.isFinite {
            throw PEtabError(file: problem.parameterFile, "parameter '\(parameterIds[i])': the value \(x) is not finite")
        }
        let values = tableValues(theta)
        let results = try runJobs(values: values, sensitivities: gradient, threads: threads)
        return assemble(values: values, results: results, gradient: gradient)
    }

    /// Linear-scale values of every parameter-table entry at θ.
    func tableValues(_ theta: [Double]) -> [Double] {
        problem.parameters.enumerated().map { i, p in
            if let k = estimatedIndex[i] { return Self.unscaled(theta[k], scales[k]) }
            return p.nominalValue
        }
    }

    /// d(value)/dθ_k of a table parameter at its value (0 when it is not estimated).
    func derivative(ofTableParameter i: Int, value v: Double) -> (index: Int, slope: Double)? {
        guard let k = estimatedIndex[i] else { return nil }
        switch scales[k] {
        case .lin: return (k, 1)
        case .log: return (k, v)
        case .log10: return (k, v * Foundation.log(10.0))
        }
    }

    func resolve(_ s: Source, _ values: [Double]) -> Double {
        switch s {
        case .constant(let x): return x
        case .parameter(let i): return values[i]
        }
    }

    /// The simulation inputs of one condition, and their derivatives by θ (input → [θ index: dq/dθ]).
    func inputs(_ sources: [String: Source], _ values: [Double]) -> (values: [String: Double], directions: [String: [Int: Double]]) {
        var out: [String: Double] = [:], dirs: [String: [Int: Double]] = [:]
        for (id, s) in sources {
            let v = resolve(s, values)
            out[id] = v
            if case .parameter(let i) = s, let d = derivative(ofTableParameter: i, value: v) { dirs[id, default: [:]][d.index, default: 0] += d.slope }
        }
        return (out, dirs)
    }

    func runJobs(values: [Double], sensitivities: Bool, threads: Int) throws -> [JobResult] {
        let jobs = self.jobs
        let options = self.options
        // One failed simulation makes the objective fail: the jobs not yet started are skipped
        // (at parameters where the model cannot be integrated, each simulation may run into the
        // step limit, and a fit's optimiser probes such points often).
        let failed = FailureFlag()
        let results = ParallelRunner(threads: threads).run(
            count: jobs.count, pool: pool, reusable: { $0.options == options }, worker: { try Worker(self) }
        ) { worker, j in
            if failed.isSet { throw Skipped() }
            do {
                return try self.simulate(jobs[j], values: values, sensitivities: sensitivities, worker: worker)
            } catch {
                failed.set()
                throw error
            }
        }
        let failures = results.enumerated().compactMap { j, r -> (Int, any Error)? in
            if case .failure(let e) = r, !(e is Skipped) { return (j, e) }
            return nil
        }
        if let (j, error) = failures.first {
            var s = "condition '\(jobs[j].simulation)'"
            if let p = jobs[j].preequilibration { s += " (pre-equilibrated under '\(p)')" }
            throw PEtabError(file: problem.url?.lastPathComponent ?? "problem", "\(s): \(error)")
        }
        return try ParallelRunner.values(results)
    }

    func simulate(_ job: Job, values: [Double], sensitivities: Bool, worker: Worker) throws -> JobResult {
        let sim = inputs(job.inputs, values)
        let pre = job.preInputs.map { inputs($0, values) }
        let columns = job.outputs.map { sensitivityModel.columns[$0] }
        if !sensitivities {
            let traj = try worker.simulator.simulate(
                times: job.times, outputs: columns, inputs: sim.values, start: 0,
                preequilibration: pre.map { Preequilibration(inputs: $0.values, reinitialise: job.reinitialise, options: steadyStateOptions) },
                steadyState: steadyStateOptions)
            return JobResult(values: traj.values, sensitivities: nil)
        }
        // Directions: the estimated parameters this job's inputs depend on.
        var touched = Set<Int>()
        for d in sim.directions.values { touched.formUnion(d.keys) }
        for d in (pre?.directions ?? [:]).values { touched.formUnion(d.keys) }
        let directions = touched.sorted()
        func weights(_ dirs: [String: [Int: Double]]) -> [[String: Double]] {
            directions.map { k in dirs.compactMapValues { $0[k] } }
        }
        let result = try worker.sensitivitySimulator.simulate(
            times: job.times, outputs: job.outputs, inputs: sim.values, directions: weights(sim.directions), start: 0,
            preequilibration: pre.map {
                SensitivityPreequilibration(
                    inputs: $0.values, directions: weights($0.directions), reinitialise: job.reinitialise,
                    options: steadyStateOptions)
            }, steadyState: steadyStateOptions)
        // Spread the directions over all parameters.
        let np = parameterIds.count, nd = directions.count, nc = columns.count
        var full = [Double](repeating: 0, count: job.times.count * nc * np)
        for t in 0 ..< job.times.count {
            for c in 0 ..< nc {
                for (d, k) in directions.enumerated() {
                    full[(t * nc + c) * np + k] = result.sensitivities[(t * nc + c) * nd + d]
                }
            }
        }
        return JobResult(values: result.values, sensitivities: full)
    }

    func assemble(values: [Double], results: [JobResult], gradient: Bool) -> PEtabEvaluation {
        let np = parameterIds.count
        var llh = 0.0, chi2 = 0.0
        var grad = [Double](repeating: 0, count: np)
        var sims = [Double](repeating: .nan, count: rows.count), sigmas = sims, residuals = sims
        var dres: [[Double]] = gradient ? Array(repeating: [], count: rows.count) : []
        var dsig: [[Double]] = dres
        let runners = observables.map { ($0.formula.program.makeRunner(), $0.noise.program.makeRunner()) }
        var laplace = 0
        var fim: [[Double]] = gradient ? Array(repeating: Array(repeating: 0, count: np), count: np) : []
        for (r, row) in rows.enumerated() {
            let job = jobs[row.job]
            let o = observables[row.observable]
            let (formulaRunner, noiseRunner) = runners[row.observable]
            let nc = job.outputs.count
            let time = job.times[row.timeIndex]
            let result = results[row.job]
            // Slot values and their θ-derivatives.
            func slots(_ f: Formula, observable y: Double, dy: [Double]) -> (values: [Double], derivatives: [[Double]]) {
                var v: [Double] = [], d: [[Double]] = []
                for b in f.bindings {
                    var dv = gradient ? [Double](repeating: 0, count: np) : []
                    switch b {
                    case .output(let c):
                        let pos = job.outputs.firstIndex(of: c)!
                        let base = row.timeIndex * nc + pos
                        v.append(result.values[base])
                        if gradient, let s = result.sensitivities {
                            for k in 0 ..< np { dv[k] = s[base * np + k] }
                        }
                    case .placeholder(let n):
                        let source = n >= 0 ? row.observableParameters[n] : row.noiseParameters[-n - 1]
                        let x = resolve(source, values)
                        v.append(x)
                        if gradient, case .parameter(let i) = source, let dd = derivative(ofTableParameter: i, value: x) { dv[dd.index] += dd.slope }
                    case .parameter(let i):
                        v.append(values[i])
                        if gradient, let dd = derivative(ofTableParameter: i, value: values[i]) { dv[dd.index] += dd.slope }
                    case .time: v.append(time)
                    case .observable:
                        v.append(y)
                        if gradient { dv = dy }
                    }
                    d.append(dv)
                }
                return (v, d)
            }
            func chain(_ partials: [Double], _ derivatives: [[Double]]) -> [Double] {
                var out = [Double](repeating: 0, count: np)
                for (p, dv) in zip(partials, derivatives) where p != 0 {
                    for k in 0 ..< np where dv[k] != 0 { out[k] += p * dv[k] }
                }
                return out
            }
            let fs = slots(o.formula, observable: .nan, dy: [])
            var y = 0.0, dy: [Double] = []
            if gradient {
                let e = formulaRunner.evaluate(fs.values, time: time)
                y = e.value
                dy = chain(e.gradient, fs.derivatives)
            } else {
                y = formulaRunner.value(fs.values, time: time)
            }
            let ns = slots(o.noise, observable: y, dy: dy)
            var sigma = 0.0, dsigma: [Double] = []
            if gradient {
                let e = noiseRunner.evaluate(ns.values, time: time)
                sigma = e.value
                dsigma = chain(e.gradient, ns.derivatives)
            } else {
                sigma = noiseRunner.value(ns.values, time: time)
            }
            let m = row.measurement
            let transformation = o.observable.transformation
            let hm = transformation.apply(m), hy = transformation.apply(y)
            let hPrime: Double
            var jacobianTerm = 0.0
            switch transformation {
            case .lin: hPrime = 1
            case .log: hPrime = 1 / y; jacobianTerm = Foundation.log(m)
            case .log10: hPrime = 1 / (y * Foundation.log(10.0)); jacobianTerm = Foundation.log(m * Foundation.log(10.0))
            }
            let diff = hm - hy
            let res = diff / sigma
            sims[r] = y
            sigmas[r] = sigma
            residuals[r] = res
            chi2 += res * res
            if o.laplace {
                laplace += 1
                llh -= Foundation.log(2 * sigma) + abs(diff) / sigma + jacobianTerm
            } else {
                llh -= 0.5 * Foundation.log(2 * Double.pi * sigma * sigma) + 0.5 * res * res + jacobianTerm
            }
            if gradient {
                var dr = [Double](repeating: 0, count: np)
                for k in 0 ..< np { dr[k] = (-hPrime * dy[k]) / sigma - res / sigma * dsigma[k] }
                dres[r] = dr
                dsig[r] = dsigma
                let weight = o.laplace ? 1.0 : 2.0
                let gv = (0 ..< np).map { hPrime * dy[$0] / sigma }, sv = (0 ..< np).map { dsigma[$0] / sigma }
                for a in 0 ..< np where gv[a] != 0 || sv[a] != 0 {
                    for b in 0 ..< np { fim[a][b] += gv[a] * gv[b] + weight * sv[a] * sv[b] }
                }
                for k in 0 ..< np {
                    let dnll: Double
                    if o.laplace {
                        let sign: Double = diff > 0 ? 1 : (diff < 0 ? -1 : 0)
                        dnll = dsigma[k] / sigma + sign * (-hPrime * dy[k]) / sigma - abs(diff) / (sigma * sigma) * dsigma[k]
                    } else {
                        dnll = dsigma[k] / sigma + res * dr[k]
                    }
                    grad[k] -= dnll
                }
            }
        }
        return PEtabEvaluation(
            llh: llh, chi2: chi2, gradient: gradient ? grad : nil, simulations: sims, sigmas: sigmas,
            residuals: residuals, residualSensitivities: gradient ? dres : nil,
            sigmaSensitivities: gradient ? dsig : nil, laplaceCount: laplace,
            fisherInformation: gradient ? fim : nil)
    }
}

/// One thread's simulators, reused between evaluations.
final class Worker {
    let simulator: Simulator
    let sensitivitySimulator: SensitivitySimulator
    let options: SolverOptions

    init(_ objective: PEtabObjective) throws {
        options = objective.options
        simulator = try Simulator(objective.compiled, options: options)
        sensitivitySimulator = try SensitivitySimulator(objective.sensitivityModel, options: options)
    }
}

extension PEtabObjective {
    /// The gradient by central differences, ∂llh/∂θ_i ≈ (llh(θ + h e_i) − llh(θ − h e_i)) / 2h
    /// with h = `step` (on the parameter's scale): an independent check of `evaluate(…, gradient: true)`
    /// (use tight tolerances, so that the integration error stays far below h²).
    /// `only` restricts the differences to some parameters (the others are left 0).
    public func finiteDifferenceGradient(
        parameters theta: [Double], step: Double = 1e-4, only: [Int]? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> [Double] {
        var out = [Double](repeating: 0, count: theta.count)
        for i in only ?? Array(theta.indices) {
            let h = step
            var up = theta, down = theta
            up[i] += h
            down[i] -= h
            out[i] = (try evaluate(parameters: up, threads: threads).llh - evaluate(parameters: down, threads: threads).llh) / (2 * h)
        }
        return out
    }

    /// The directional derivative by central differences, (llh(θ + h·v) − llh(θ − h·v)) / 2h with
    /// h = `step`: checks ∇llh·v from one gradient and two evaluations per direction, however many
    /// parameters are estimated.
    public func directionalDifference(
        parameters theta: [Double], direction v: [Double], step: Double = 1e-4,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> Double {
        precondition(v.count == theta.count, "direction and parameters differ in length")
        let up = (0 ..< theta.count).map { theta[$0] + step * v[$0] }
        let down = (0 ..< theta.count).map { theta[$0] - step * v[$0] }
        return (try evaluate(parameters: up, threads: threads).llh - evaluate(parameters: down, threads: threads).llh) / (2 * step)
    }

    /// `count` seeded random directions of `dimension` entries ±1 (each parameter moves by the
    /// difference step, up or down): the same seed gives the same directions.
    public static func randomDirections(count: Int, dimension: Int, seed: UInt64) -> [[Double]] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< count).map { _ in (0 ..< dimension).map { _ in rng.next() & 1 == 0 ? 1.0 : -1.0 } }
    }

    /// `directions` with each entry of a lin-scale parameter multiplied by |θᵢ| (where θᵢ ≠ 0), so
    /// that a difference step h moves every parameter by about h relative to its value. An
    /// absolute step of 1e-4 is meaningless for a lin-scale parameter of 1e-11 (the observable
    /// scaling factors of Lang_PLOSComputBiol2024): it multiplies it a million-fold.
    public func relativeDirections(_ directions: [[Double]], parameters theta: [Double]) -> [[Double]] {
        directions.map { v in
            v.indices.map { i in scales[i] == .lin && theta[i] != 0 ? v[i] * abs(theta[i]) : v[i] }
        }
    }

    /// A seeded random choice of `count` of the indices 0..<n (all of them when count ≥ n), sorted.
    public static func randomSubset(count: Int, of n: Int, seed: UInt64) -> [Int] {
        var indices = Array(0 ..< n)
        guard count < n else { return indices }
        var rng = SplitMix64(seed: seed)
        for i in 0 ..< count {
            let k = i + Int(rng.next() % UInt64(n - i))
            indices.swapAt(i, k)
        }
        return indices.prefix(count).sorted()
    }

    /// The relative error of a directional derivative ∇llh·v against its central difference:
    /// |g·v − fd| / max(|fd|, 1% of Σ|g_i·v_i|) (the floor keeps a sum that cancels to near zero
    /// from counting its rounding as a 100% error).
    public static func directionalError(gradient g: [Double], direction v: [Double], difference fd: Double) -> Double {
        var dot = 0.0, magnitude = 0.0
        for i in g.indices {
            dot += g[i] * v[i]
            magnitude += abs(g[i] * v[i])
        }
        return abs(dot - fd) / Swift.max(abs(fd), 0.01 * magnitude, Double.leastNormalMagnitude)
    }

    /// The largest difference between two gradients relative to the larger of |each entry| and
    /// 1% of the largest entry (entries near zero are compared on the gradient's own scale).
    public static func gradientError(_ g: [Double], _ reference: [Double]) -> (relative: Double, index: Int) {
        let scale = reference.map(abs).max() ?? 0
        var worst = 0.0, at = 0
        for i in g.indices {
            let e = abs(g[i] - reference[i]) / Swift.max(abs(reference[i]), 0.01 * scale, Double.leastNormalMagnitude)
            if e > worst || e.isNaN { worst = e; at = i }
        }
        return (worst, at)
    }
}

/// Set once any job of an evaluation has failed.
final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// A job not run because another job of the same evaluation had failed.
struct Skipped: Error {}
