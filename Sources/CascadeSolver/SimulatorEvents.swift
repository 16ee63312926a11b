import CascadeCore

/// Truth values of atoms, trigger states and the queue of pending event executions.
struct EventState {
    struct Pending {
        var event: Int
        var time: Double
        var values: [Double]?
        var sequence: Int
    }
    var atoms: [Bool]
    /// When each atom last crossed, and its value then: at that instant its truth is kept while
    /// its value is unchanged (it may sit a rounding error on the near side of zero).
    var crossedAt: [Double]
    var crossedValue: [Double]
    var triggers: [Bool]
    var pending: [Pending] = []
    var sequence = 0
    var executed = 0
    /// Assignments applied so far (a change means the integrator must restart).
    var changes = 0
    /// The generator for tie-breaking among simultaneous events of equal priority, if random.
    var random: SplitMix64?
    /// Atoms whose crossing at the current instant takes effect only after the outputs there:
    /// their truth is kept as it was until then.
    var held: Set<Int> = []

    init(model: CompiledModel) {
        atoms = Array(repeating: false, count: model.atomOps.count)
        crossedAt = Array(repeating: -.infinity, count: model.atomOps.count)
        crossedValue = Array(repeating: .nan, count: model.atomOps.count)
        triggers = model.events.map(\.initialValue)
    }

    static func truth(_ op: GOp, _ g: Double) -> Bool {
        switch op {
        case .gt: return g > 0
        case .ge: return g >= 0
        case .lt: return g < 0
        case .le: return g <= 0
        case .eq: return g == 0
        default: return g != 0 && !g.isNaN
        }
    }

    /// Sets the branch flags of locked tapes (right-hand side, Jacobian, ∂f/∂p) from the atoms'
    /// truth (see `CompiledModel.lockedAtoms`); nothing when the model locks no branch.
    func lockBranches(of runners: TapeRunner..., model: CompiledModel) {
        guard !model.lockedAtoms.isEmpty else { return }
        let flags = model.lockedAtoms.map { atoms[$0] ? 1.0 : 0.0 }
        for runner in runners { runner.setFlags(flags) }
    }

    mutating func initialise(atoms runner: TapeRunner, model: CompiledModel) {
        for i in 0 ..< atoms.count { atoms[i] = Self.truth(model.atomOps[i], runner.output(i)) }
    }

    /// Updates atom truth: crossed atoms take the value on the far side of the crossing.
    mutating func updateAtoms(_ runner: TapeRunner, model: CompiledModel, time: Double, crossed: [Int: Double]) {
        for i in 0 ..< atoms.count {
            if !held.isEmpty && held.contains(i) { continue }
            let op = model.atomOps[i]
            let g = runner.output(i)
            if let dir = crossed[i] {
                crossedAt[i] = time
                crossedValue[i] = g
                switch op {
                case .gt, .ge: atoms[i] = dir > 0
                case .lt, .le: atoms[i] = dir < 0
                case .eq: atoms[i] = true
                default: atoms[i] = false
                }
            } else if crossedAt[i] == time && (g == crossedValue[i] || g == 0) {
                continue
            } else {
                atoms[i] = Self.truth(op, g)
            }
        }
    }

    /// Re-evaluates triggers; rising edges schedule events, falling edges cancel non-persistent ones.
    mutating func updateTriggers(_ runner: TapeRunner, model: CompiledModel, time: Double) throws {
        for (e, ev) in model.events.enumerated() {
            let now = ev.trigger.evaluate(atoms)
            if now && !triggers[e] {
                var when = time
                if let d = ev.delay {
                    let delay = runner.output(d)
                    guard delay >= 0, delay.isFinite else { throw SimulationError.negativeDelay(event: ev.id, time: time) }
                    when = time + delay
                }
                let values = ev.fromTrigger ? ev.assignments.map { runner.output($0.value) } : nil
                pending.append(Pending(event: e, time: when, values: values, sequence: sequence))
                sequence += 1
            } else if !now && triggers[e] && !ev.persistent {
                pending.removeAll { $0.event == e }
            }
            triggers[e] = now
        }
    }

    func nextDelayedTime(after t: Double) -> Double? {
        pending.lazy.map(\.time).filter { $0 > t }.min()
    }

    func hasDue(at t: Double) -> Bool { pending.contains { $0.time <= t } }

    /// Removes and returns the next event to execute now: highest priority first, then the order
    /// in which events were triggered.
    ///
    /// SBML leaves the order of events with equal priority (or none) to chance: with
    /// `.seeded` tie-breaking one of them is drawn from a generator seeded per simulation, so a
    /// run is still reproducible byte for byte; with `.triggerOrder` the earliest triggered goes.
    mutating func popReady(at t: Double, discrete runner: TapeRunner, model: CompiledModel) -> (Int, [Double]?)? {
        var tied: [Int] = []
        var bestPriority = -Double.infinity
        for (i, p) in pending.enumerated() where p.time <= t {
            let prio = model.events[p.event].priority.map { runner.output($0) } ?? -.infinity
            let pr = prio.isNaN ? -Double.infinity : prio
            if tied.isEmpty || pr > bestPriority {
                tied = [i]
                bestPriority = pr
            } else if pr == bestPriority {
                tied.append(i)
            }
        }
        guard !tied.isEmpty else { return nil }
        var b = tied.min { pending[$0].sequence < pending[$1].sequence }!
        if tied.count > 1, var rng = random {
            b = tied[Int(rng.next() % UInt64(tied.count))]
            random = rng
        }
        let p = pending.remove(at: b)
        return (p.event, p.values)
    }
}
