import CSundials

/// The history a simulation keeps for `delay(x, d)`: the state, its rate and the parameters at
/// every step the integrator takes (and after every event), from which the delayed values are
/// computed before each evaluation.
///
/// `x` is evaluated at the delayed time `t − d` with the state there interpolated by cubic
/// Hermite interpolation between the two steps around it (from the values and rates at both), and
/// the parameters in force then. Before the start, `x` is what its initial value would be at that
/// time: initial assignments and rules evaluated then, rates of change zero (the SBML Test
/// Suite's convention). A simulation that starts from a given state (`initialStates`: a
/// continuation, a pre-equilibrated or settled state) has no such past: its history is constant
/// at that state, `x` evaluated at the delayed time with the states and parameters of the start.
/// So has a differential-algebraic model, whose algebraic states have only starting guesses as
/// initial values: its history is its consistent start state.
/// The integrator's step is kept no longer than the shortest delay, so a
/// delayed time never falls inside the step being taken.
final class DelayHistory {
    let n: Int
    let paramCount: Int
    let count: Int
    let runner: TapeRunner
    let before: TapeRunner
    private var nominals: [Double] = []
    /// Whether the history before the start is the start state (else the model's initial values).
    private var startStateBefore = false
    let registers: [Int]
    private(set) var times: [Double] = []
    private var states: [Double] = []
    private var rates: [Double] = []
    private var params: [Double] = []
    private let y: UnsafeMutablePointer<Double>
    private let p: UnsafeMutablePointer<Double>
    private var delays: [Double]
    /// The delays each delay reads, and an order with those first (empty when none nest).
    private let dependencies: [[Int]]
    private var order: [Int] = []

    init(model: CompiledModel, tape: Tape, history: Tape) {
        before = TapeRunner(history)
        n = model.stateCount
        paramCount = model.parameterIds.count
        count = model.delayRegisters.count
        runner = TapeRunner(tape)
        registers = model.delayRegisters
        y = .allocate(capacity: Swift.max(1, n))
        y.initialize(repeating: 0, count: Swift.max(1, n))
        p = .allocate(capacity: Swift.max(1, paramCount))
        p.initialize(repeating: 0, count: Swift.max(1, paramCount))
        delays = Array(repeating: 0, count: count)
        dependencies = model.delayDependencies
        if dependencies.contains(where: { !$0.isEmpty }) {
            var done = Set<Int>()
            func visit(_ k: Int) {
                guard !done.contains(k) else { return }
                done.insert(k)
                for j in dependencies[k] { visit(j) }
                order.append(k)
            }
            for k in 0 ..< count { visit(k) }
        }
    }

    deinit {
        y.deallocate()
        p.deallocate()
    }

    func reset(nominals: [Double], fromGivenState: Bool = false) {
        self.nominals = nominals
        startStateBefore = fromGivenState
        times.removeAll(keepingCapacity: true)
        states.removeAll(keepingCapacity: true)
        rates.removeAll(keepingCapacity: true)
        params.removeAll(keepingCapacity: true)
    }

    func append(_ t: Double, state: UnsafePointer<Double>, rate: UnsafePointer<Double>, params values: UnsafePointer<Double>) {
        times.append(t)
        for k in 0 ..< n { states.append(state[k]); rates.append(rate[k]) }
        for j in 0 ..< paramCount { params.append(values[j]) }
    }

    /// The shortest positive delay at `t`, or nil.
    func shortestDelay(_ t: Double, state: UnsafePointer<Double>, params values: UnsafePointer<Double>) -> Double? {
        runner.run(time: t, params: values, states: state)
        var shortest: Double?
        for k in 0 ..< count {
            let d = runner.output(k)
            if d > 0 && d.isFinite { shortest = Swift.min(shortest ?? d, d) }
        }
        return shortest
    }

    /// Writes every delay's value at `t` into its parameter register in `values`.
    func fill(_ t: Double, state: UnsafePointer<Double>, params values: UnsafeMutablePointer<Double>) {
        if !order.isEmpty {
            // Delays of rules that are delays: inner ones first, each evaluated at its own time.
            for k in order {
                runner.run(time: t, params: values, states: state)
                let d = runner.output(k)
                values[registers[k]] = d >= 0 && d.isFinite ? value(k, at: t - d, depth: 0) : .nan
            }
            return
        }
        runner.run(time: t, params: values, states: state)
        for k in 0 ..< count { delays[k] = runner.output(k) }
        var lastTime = Double.nan
        for k in 0 ..< count {
            let d = delays[k]
            guard d >= 0, d.isFinite else {
                values[registers[k]] = .nan  // a negative or undefined delay: reported as a non-finite rate
                continue
            }
            let tau = t - d
            if let first = times.first, tau < first, !startStateBefore {
                nominals.withUnsafeBufferPointer { q in before.run(time: tau, params: nil, states: nil, nominals: q.baseAddress) }
                values[registers[k]] = before.output(k)
                continue
            }
            if tau != lastTime {
                interpolate(tau, current: t, state: state, params: values)
                runner.run(time: tau, params: p, states: y)
                lastTime = tau
            }
            values[registers[k]] = runner.output(count + k)
        }
    }

    /// Delay `k`'s expression at `tau`, with the delays it reads evaluated at their own times.
    private func value(_ k: Int, at tau: Double, depth: Int) -> Double {
        guard depth < 64 else { return .nan }
        if let first = times.first, tau < first, !startStateBefore {
            nominals.withUnsafeBufferPointer { q in before.run(time: tau, params: nil, states: nil, nominals: q.baseAddress) }
            return before.output(k)
        }
        interpolate(tau, current: tau, state: y, params: p)
        let ys = Array(UnsafeBufferPointer(start: y, count: n))
        var ps = Array(UnsafeBufferPointer(start: p, count: paramCount))
        for j in dependencies[k] {
            runner.run(time: tau, params: ps, states: ys)
            let d = runner.output(j)
            ps[registers[j]] = d >= 0 && d.isFinite ? value(j, at: tau - d, depth: depth + 1) : .nan
        }
        runner.run(time: tau, params: ps, states: ys)
        return runner.output(count + k)
    }

    /// Puts the state and parameters at `tau` into `y` and `p`.
    private func interpolate(
        _ tau: Double, current t: Double, state: UnsafePointer<Double>,
        params values: UnsafePointer<Double>
    ) {
        guard let first = times.first else {
            for k in 0 ..< n { y[k] = state[k] }
            for j in 0 ..< paramCount { p[j] = values[j] }
            return
        }
        if tau <= first {
            for k in 0 ..< n { y[k] = states[k] }
            for j in 0 ..< paramCount { p[j] = params[j] }
            return
        }
        // The last point at or before tau.
        var lo = 0, hi = times.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if times[mid] <= tau { lo = mid } else { hi = mid - 1 }
        }
        let i = lo
        for j in 0 ..< paramCount { p[j] = params[i * paramCount + j] }
        if i + 1 < times.count, times[i + 1] > times[i] {
            let h = times[i + 1] - times[i]
            let s = (tau - times[i]) / h
            let s2 = s * s, s3 = s2 * s
            let h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2
            for k in 0 ..< n {
                let a = i * n + k, b = (i + 1) * n + k
                y[k] = h00 * states[a] + h10 * h * rates[a] + h01 * states[b] + h11 * h * rates[b]
            }
        } else {
            // Beyond the last point (only within the current step): along its rate.
            for k in 0 ..< n { y[k] = states[i * n + k] + (tau - times[i]) * rates[i * n + k] }
        }
    }
}
