import CascadeCore
import Foundation

/// When a simulation counts as having reached a steady state, and how hard to try.
///
/// **Criterion.** With f = dy/dt at the state y (species as amounts), the *residual* is
///
///     max over states k of |f_k| / (absoluteTolerance + relativeTolerance · |y_k|)
///
/// and the state is steady when the residual is at most 1: every state changes by less than
/// `relativeTolerance` of itself (plus `absoluteTolerance`) per unit of model time.
///
/// **Search.** The model is integrated from the start and the criterion checked at
/// `start + firstCheck · growth^k` (k = 0, 1, ...), a grid that grows geometrically, until it
/// holds or `maxTime` has passed (then `SteadyStateError`, naming the time reached). When
/// `newton` is on, a damped Newton iteration on f(y) = 0 is tried once the residual is below
/// `newtonThreshold`, and used to polish the state once the criterion holds; conservation laws
/// (`CompiledModel.conservationLaws`) replace one equation each so the Newton matrix is not
/// singular. A Newton result is accepted only when it meets the criterion, lowers the
/// residual and keeps non-negative states non-negative; otherwise the simulated state stands.
public struct SteadyStateOptions: Hashable, Sendable {
    public var relativeTolerance: Double = 1e-8
    /// In state units (amounts) per unit time.
    public var absoluteTolerance: Double = 1e-12
    /// The first check after the start (model time units).
    public var firstCheck: Double = 1e-3
    /// The factor between successive check times (measured from the start).
    public var growth: Double = 10.0.squareRoot()
    /// The longest simulated time (from the start) before giving up.
    public var maxTime: Double = 1e12
    public var newton: Bool = true
    /// Newton is tried when the residual is below this (in units of the criterion).
    public var newtonThreshold: Double = 1e4
    public var maxNewtonIterations: Int = 20

    public init(
        relativeTolerance: Double = 1e-8, absoluteTolerance: Double = 1e-12, maxTime: Double = 1e12,
        newton: Bool = true
    ) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.maxTime = maxTime
        self.newton = newton
    }
}

/// A steady state found by `Simulator.steadyState`.
public struct SteadyState: Hashable, Sendable {
    /// The model time at which the criterion held (the end of the simulated stretch).
    public var time: Double
    /// States in `CompiledModel.stateIds` order (species as amounts).
    public var states: [Double]
    /// The parameter vector there (`CompiledModel.parameterIds` order).
    public var parameters: [Double]
    /// The criterion's value at `states` (≤ 1).
    public var residual: Double
    /// Newton iterations that were accepted (0 when simulation alone converged).
    public var newtonIterations: Int
    /// Integrator steps taken.
    public var steps: Int
}

/// No steady state within the allowed time.
public struct SteadyStateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The model time reached.
    public var time: Double
    /// The residual there (see `SteadyStateOptions`).
    public var residual: Double
    /// The state changing fastest relative to its tolerance.
    public var state: String

    public var description: String {
        "no steady state by t = \(time): '\(state)' still changes \(residual.formatted3)× faster than the tolerance "
            + "(|dy/dt| ≤ atol + rtol·|y|). The system may oscillate or drift; allow a longer time or looser tolerances."
    }
}

extension Double {
    fileprivate var formatted3: String { String(format: "%.3g", self) }
}

/// A pre-equilibration phase: simulate to steady state under `inputs`, then start the main
/// simulation from there. States listed in `reinitialise` take their initial values from the
/// main simulation's inputs instead (PEtab: species the simulation condition sets).
public struct Preequilibration: Hashable, Sendable {
    public var inputs: [String: Double]
    public var reinitialise: Set<String>
    public var options: SteadyStateOptions

    public init(inputs: [String: Double], reinitialise: Set<String> = [], options: SteadyStateOptions = SteadyStateOptions()) {
        self.inputs = inputs
        self.reinitialise = reinitialise
        self.options = options
    }
}

extension Simulator {
    /// Integrates from `start` until the state is steady (see `SteadyStateOptions` for the
    /// criterion and the search). Starts from the model's initial values under `inputs`, or from
    /// `initialStates`.
    ///
    /// Between checks the integrator restarts from the state reached, with the parameter values
    /// recomputed from `inputs`: event assignments to parameters do not carry across checks, and
    /// an event whose trigger holds at a check with `triggerInitialValue` false fires again.
    /// Models with events meant to act during pre-equilibration need care.
    public func steadyState(
        inputs: [String: Double] = [:], start: Double = 0, initialStates: [Double]? = nil,
        options: SteadyStateOptions = SteadyStateOptions()
    ) throws -> SteadyState {
        if model.delayTape != nil {
            throw CompileError(element: "delay", "steady states of models with delay() are not supported")
        }
        let initial = try model.initialValues(time: start, inputs: inputs)
        var y = initialStates ?? initial.states
        if y.count != model.stateCount {
            throw SimulationError.invalidTimes("initialStates has \(y.count) values, the model has \(model.stateCount) states")
        }
        var p = initial.parameters
        var t = start
        var steps = 0
        var check = model.steadyStateResidual(time: t, states: y, parameters: p, options: options)
        var k = 0
        while check.value > 1 {
            if options.newton && check.value <= options.newtonThreshold,
                let polished = model.newtonSteadyState(time: t, states: y, parameters: p, options: options),
                polished.residual <= 1
            {
                return SteadyState(
                    time: t, states: polished.states, parameters: p, residual: polished.residual,
                    newtonIterations: polished.iterations, steps: steps)
            }
            let next = start + options.firstCheck * Foundation.pow(options.growth, Double(k))
            k += 1
            if next - start > options.maxTime {
                throw SteadyStateError(time: t, residual: check.value, state: model.stateIds[check.worst])
            }
            _ = try simulate(times: [next], outputs: [], inputs: inputs, start: t, initialStates: y)
            steps += statistics.steps
            y = finalStates
            p = params
            t = next
            check = model.steadyStateResidual(time: t, states: y, parameters: p, options: options)
        }
        var result = SteadyState(time: t, states: y, parameters: p, residual: check.value, newtonIterations: 0, steps: steps)
        if options.newton, check.value > 0,
            let polished = model.newtonSteadyState(time: t, states: y, parameters: p, options: options),
            polished.residual < check.value
        {
            result.states = polished.states
            result.residual = polished.residual
            result.newtonIterations = polished.iterations
        }
        return result
    }

    /// Simulates with an optional pre-equilibration, and with `inf` allowed among the output
    /// times (after the finite ones): the values at `inf` are those at the steady state reached
    /// by continuing from the last finite time (or from the start) under `inputs`.
    ///
    /// With `preequilibration`, the model is first brought to steady state under its inputs
    /// (from the model's initial values at `start`); the main simulation then starts at `start`
    /// from that state, except for the ids in `reinitialise`, which start from their initial
    /// values under `inputs`. Parameters, compartment sizes and fixed species always come from
    /// `inputs`.
    public func simulate(
        times: [Double], outputs: [OutputColumn], inputs: [String: Double] = [:], start: Double = 0,
        preequilibration: Preequilibration?,
        steadyState steadyOptions: SteadyStateOptions = SteadyStateOptions()
    ) throws -> Trajectory {
        guard !times.isEmpty else { throw SimulationError.invalidTimes("no output times") }
        let finite = times.filter { $0.isFinite }
        let infinite = times.count - finite.count
        guard times.suffix(infinite).allSatisfy({ $0 == .infinity }) else {
            throw SimulationError.invalidTimes("only +inf may follow the finite output times")
        }
        let columns: [Int] = try outputs.map { col in
            guard let i = model.outputIndex[col] else { throw SimulationError.unknownOutput(col.id) }
            return i
        }
        var stats = SolverStatistics()
        var states: [Double]?
        if let pre = preequilibration {
            let ss = try steadyState(inputs: pre.inputs, start: start, options: pre.options)
            stats.steps += ss.steps
            var merged = ss.states
            if !pre.reinitialise.isEmpty {
                let fresh = try model.initialValues(time: start, inputs: inputs).states
                for (k, id) in model.stateIds.enumerated() where pre.reinitialise.contains(id) { merged[k] = fresh[k] }
            }
            states = merged
        }
        var values: [Double] = []
        values.reserveCapacity(times.count * outputs.count)
        var last = start
        if !finite.isEmpty {
            let traj = try simulate(times: finite, outputs: outputs, inputs: inputs, start: start, initialStates: states)
            values = traj.values
            stats.add(traj.statistics)
            last = finite[finite.count - 1]
            states = finalStates
        }
        if infinite > 0 {
            let ss = try steadyState(inputs: inputs, start: last, initialStates: states, options: steadyOptions)
            stats.steps += ss.steps
            var runner = TapeRunner(model.outputTape)
            ss.parameters.withUnsafeBufferPointer { p in
                ss.states.withUnsafeBufferPointer { y in runner.run(time: ss.time, params: p.baseAddress, states: y.baseAddress) }
            }
            for _ in 0 ..< infinite {
                for (c, i) in columns.enumerated() {
                    let v = runner.output(i)
                    if !v.isFinite && !options.allowNonFiniteOutputs {
                        throw SimulationError.nonFinite(what: "'\(outputs[c].id)' at steady state", time: ss.time)
                    }
                    values.append(v)
                }
            }
        }
        return Trajectory(times: times, columns: outputs, values: values, statistics: stats)
    }
}

extension SolverStatistics {
    mutating func add(_ o: SolverStatistics) {
        steps += o.steps
        rhsEvaluations += o.rhsEvaluations
        jacobianEvaluations += o.jacobianEvaluations
        linearSolverSetups += o.linearSolverSetups
        errorTestFailures += o.errorTestFailures
        nonlinearIterations += o.nonlinearIterations
        nonlinearConvergenceFailures += o.nonlinearConvergenceFailures
        rootFunctionEvaluations += o.rootFunctionEvaluations
        eventsExecuted += o.eventsExecuted
        restarts += o.restarts
    }
}

extension CompiledModel {
    /// The steady-state criterion's value at a state (see `SteadyStateOptions`) and the state
    /// with the largest term. Non-finite rates give an infinite residual.
    public func steadyStateResidual(
        time: Double, states: [Double], parameters: [Double],
        options: SteadyStateOptions = SteadyStateOptions()
    ) -> (value: Double, worst: Int) {
        let f = rightHandSide(time: time, states: states, parameters: parameters)
        return Self.residual(f, states, options)
    }

    static func residual(_ f: [Double], _ y: [Double], _ options: SteadyStateOptions) -> (value: Double, worst: Int) {
        var worst = 0, value = 0.0
        for k in 0 ..< f.count {
            let r = abs(f[k]) / (options.absoluteTolerance + options.relativeTolerance * abs(y[k]))
            if !r.isFinite || r.isNaN { return (.infinity, k) }
            if r > value { value = r; worst = k }
        }
        return (value, worst)
    }

    /// Damped Newton iteration on dy/dt = 0 from `states`, with one equation per conservation
    /// law replaced by the law itself (its total kept). Returns the best state when its residual
    /// is lower than at the start, else nil (also when the Newton matrix is singular).
    func newtonSteadyState(
        time: Double, states: [Double], parameters: [Double],
        options: SteadyStateOptions
    ) -> (states: [Double], residual: Double, iterations: Int)? {
        let n = stateCount
        guard n > 0 else { return nil }
        // Conservation laws over species amounts; the pivot of each is its largest member not
        // already a pivot.
        let index = Dictionary(uniqueKeysWithValues: stateIds.enumerated().map { ($1, $0) })
        var lawRows: [(pivot: Int, terms: [(Int, Double)])] = []
        var pivots = Set<Int>()
        for law in conservationLaws {
            let terms = law.terms.compactMap { t in index[t.species].map { ($0, Double(t.coefficient)) } }
            guard terms.count == law.terms.count,
                let pivot = terms.map(\.0).filter({ !pivots.contains($0) }).max(by: { abs(states[$0]) < abs(states[$1]) })
            else { return nil }
            pivots.insert(pivot)
            lawRows.append((pivot, terms))
        }
        let scale = states.map(abs).max() ?? 0
        let negativeLimit = -(options.absoluteTolerance + 1e-10 * scale)
        var y = states
        var f = rightHandSide(time: time, states: y, parameters: parameters)
        var r = Self.residual(f, y, options).value
        let initialResidual = r
        var iterations = 0
        for _ in 0 ..< options.maxNewtonIterations {
            var a = [Double](repeating: 0, count: n * n)  // row-major
            let j = jacobian(time: time, states: y, parameters: parameters)
            for i in 0 ..< n { for c in 0 ..< n { a[i * n + c] = j[i][c] } }
            var b = f.map { -$0 }
            for law in lawRows {
                for c in 0 ..< n { a[law.pivot * n + c] = 0 }
                for (c, w) in law.terms { a[law.pivot * n + c] = w }
                b[law.pivot] = 0
            }
            guard let delta = Self.solveDense(&a, &b, n) else { break }
            var lambda = 1.0
            var accepted = false
            for _ in 0 ..< 10 {
                var trial = y
                for k in 0 ..< n { trial[k] += lambda * delta[k] }
                if (0 ..< n).contains(where: { y[$0] >= 0 && trial[$0] < negativeLimit }) { lambda *= 0.5; continue }
                let ft = rightHandSide(time: time, states: trial, parameters: parameters)
                let rt = Self.residual(ft, trial, options).value
                if rt < r {
                    y = trial
                    f = ft
                    r = rt
                    accepted = true
                    break
                }
                lambda *= 0.5
            }
            if !accepted { break }
            iterations += 1
            if r <= 1e-3 { break }
        }
        guard iterations > 0, r < initialResidual else { return nil }
        return (y, r, iterations)
    }

    /// Solves a·x = b (a row-major n×n, overwritten) by LU with partial pivoting; nil when
    /// singular to working precision.
    static func solveDense(_ a: inout [Double], _ b: inout [Double], _ n: Int) -> [Double]? {
        let norm = a.map(abs).max() ?? 0
        guard norm > 0, norm.isFinite else { return nil }
        let tiny = norm * Double(n) * Double.ulpOfOne
        for col in 0 ..< n {
            var p = col
            var best = abs(a[col * n + col])
            for r in col + 1 ..< n where abs(a[r * n + col]) > best {
                best = abs(a[r * n + col])
                p = r
            }
            guard best > tiny else { return nil }
            if p != col {
                for c in 0 ..< n { a.swapAt(col * n + c, p * n + c) }
                b.swapAt(col, p)
            }
            let d = a[col * n + col]
            for r in col + 1 ..< n {
                let m = a[r * n + col] / d
                if m == 0 { continue }
                a[r * n + col] = 0
                for c in col + 1 ..< n { a[r * n + c] -= m * a[col * n + c] }
                b[r] -= m * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for c in r + 1 ..< n { s -= a[r * n + c] * x[c] }
            x[r] = s / a[r * n + r]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
