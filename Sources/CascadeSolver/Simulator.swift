import CFastOps
import CKLU
import CSundials
import CascadeCore
import Foundation

/// Integrates a compiled model with SUNDIALS CVODE (BDF, Newton, analytic Jacobian).
///
/// One `Simulator` owns one CVODE memory and its registers: use one per thread. Repeated calls to
/// `simulate` reuse the memory (`CVodeReInit`), so a sweep pays the set-up once.
///
///     let sim = try Simulator(compiled, options: SolverOptions(relativeTolerance: 1e-8))
///     let traj = try sim.simulate(times: stride(from: 0, through: 100, by: 1).map { $0 },
///                                 outputs: [OutputColumn("A")], inputs: ["k1": 0.2])
public final class Simulator {
    public let model: CompiledModel
    public let options: SolverOptions
    /// Whether the KLU sparse solver is in use (else dense).
    public let usesSparseSolver: Bool
    public private(set) var statistics = SolverStatistics()

    /// The state vector (in `model.stateIds` order, species as amounts) where the last call of
    /// `simulate` ended: at its last output time, after any events there.
    public var finalStates: [Double] {
        guard let y, let p = N_VGetArrayPointer(y) else { return [] }
        return (0 ..< n).map { p[$0] }
    }

    let n: Int
    let vectorLength: Int
    private var context: SUNContext?
    private var cvode: UnsafeMutableRawPointer?
    private var y: N_Vector?
    private var matrix: SUNMatrix?
    private var linearSolver: SUNLinearSolver?
    private var abstol: N_Vector?
    private var initialised = false

    /// The parameter vector (`model.parameterIds` order): set at the start, changed by events.
    /// Kept in memory the simulator owns, so the callbacks read it without reference counting.
    let paramValues: UnsafeMutablePointer<Double>
    let paramCount: Int
    /// A copy of the parameter vector.
    var params: [Double] { Array(UnsafeBufferPointer(start: paramValues, count: paramCount)) }
    private let rhsRunner: TapeRunner
    private let jacRunner: TapeRunner
    private let rootRunner: TapeRunner
    private let discreteRunner: TapeRunner
    /// The output tape pruned to the columns of the last call (a sweep asks for the same ones).
    private var recorder: (columns: [Int], runner: TapeRunner)?
    private let initRunner: TapeRunner
    /// Position in the dense (column-major) or KLU data array of each Jacobian tape output.
    private var jacobianSlots: UnsafeMutableBufferPointer<Int> = .init(start: nil, count: 0)
    private var sparseColumnPointers: UnsafeMutableBufferPointer<Int64> = .init(start: nil, count: 0)
    private var sparseRowIndices: UnsafeMutableBufferPointer<Int64> = .init(start: nil, count: 0)

    // Failure details captured in callbacks.
    var lastMessage = ""
    var nonFiniteState: Int?
    var nonFiniteTime = 0.0

    public init(_ model: CompiledModel, options: SolverOptions = SolverOptions()) throws {
        self.model = model
        self.options = options
        n = model.stateCount
        vectorLength = max(n, 1)
        paramCount = model.parameterIds.count
        paramValues = .allocate(capacity: max(1, paramCount))
        paramValues.initialize(repeating: 0, count: max(1, paramCount))
        rhsRunner = TapeRunner(model.rhsTape)
        jacRunner = TapeRunner(model.jacobianTape)
        rootRunner = TapeRunner(model.rootTape)
        discreteRunner = TapeRunner(model.discreteTape)
        initRunner = TapeRunner(model.initTape)
        let density = Double(model.jacobianNonZeros) / Double(max(1, n * n))
        switch options.linearSolver {
        case .dense: usesSparseSolver = false
        case .sparse: usesSparseSolver = n > 0
        case .automatic:
            let perColumn = Double(model.jacobianNonZeros) / Double(max(1, n))
            usesSparseSolver = n >= SolverOptions.sparseThreshold
                && (perColumn <= SolverOptions.sparseMaxPerColumn || density <= SolverOptions.sparseMaxDensity)
        }
        for id in options.absoluteTolerances.keys where !model.stateIds.contains(id) {
            throw SimulationError.unknownOutput(id)
        }
        try setUp()
    }

    deinit {
        if cvode != nil { CVodeFree(&cvode) }
        if let ls = linearSolver { SUNLinSolFree(ls) }
        if let a = matrix { SUNMatDestroy(a) }
        if let v = y { N_VDestroy(v) }
        if let v = abstol { N_VDestroy(v) }
        if context != nil { SUNContext_Free(&context) }
        paramValues.deallocate()
        jacobianSlots.deallocate()
        sparseColumnPointers.deallocate()
        sparseRowIndices.deallocate()
    }

    private func check(_ flag: Int32, _ what: String) throws {
        if flag < 0 {
            throw SimulationError.solverFailure(time: 0, reason: "\(what) failed (flag \(flag)) \(lastMessage)",
                                                advice: "This is a set-up problem inside Cascade; please report it.")
        }
    }

    private func setUp() throws {
        guard SUNContext_Create(nil, &context) == 0, let ctx = context else {
            throw SimulationError.solverFailure(time: 0, reason: "could not create a SUNDIALS context", advice: "Out of memory?")
        }
        y = N_VNew_Serial(sunindextype(vectorLength), ctx)
        abstol = N_VNew_Serial(sunindextype(vectorLength), ctx)
        guard let y, let abstol else {
            throw SimulationError.solverFailure(time: 0, reason: "could not allocate vectors", advice: "Out of memory?")
        }
        if options.kernels == .optimised {
            _ = cascade_fastops_install_nvector(y)
            _ = cascade_fastops_install_nvector(abstol)
        }
        if usesSparseSolver {
            // Pattern: the Jacobian's non-zeros plus the diagonal (the Newton matrix needs it).
            var colPtr: [Int64] = [0], rows: [Int64] = []
            var slots = [Int](repeating: 0, count: model.jacobianNonZeros)
            for j in 0 ..< n {
                let lo = Int(model.jacobianColumnPointers[j]), hi = Int(model.jacobianColumnPointers[j + 1])
                var entries: [(row: Int, tape: Int)] = (lo ..< hi).map { (Int(model.jacobianRowIndices[$0]), $0) }
                if !entries.contains(where: { $0.row == j }) { entries.append((j, -1)) }
                entries.sort { $0.row < $1.row }
                for e in entries {
                    if e.tape >= 0 { slots[e.tape] = rows.count }
                    rows.append(Int64(e.row))
                }
                colPtr.append(Int64(rows.count))
            }
            jacobianSlots = .allocate(capacity: slots.count)
            _ = jacobianSlots.initialize(from: slots)
            sparseColumnPointers = .allocate(capacity: colPtr.count)
            _ = sparseColumnPointers.initialize(from: colPtr)
            sparseRowIndices = .allocate(capacity: rows.count)
            _ = sparseRowIndices.initialize(from: rows)
            matrix = SUNSparseMatrix(sunindextype(n), sunindextype(n), sunindextype(rows.count), CSC_MAT, ctx)
            guard let matrix else { throw SimulationError.solverFailure(time: 0, reason: "could not allocate the sparse matrix", advice: "Out of memory?") }
            if options.kernels == .optimised { SparseMatrixOps.install(matrix) }
            linearSolver = cascade_klu_new(y, matrix, ctx)
            // Fill-reducing ordering: AMD on A + Aᵀ (KLU's own default) instead of the COLAMD that
            // SUNDIALS' interface picks. Jacobians of reaction networks are nearly symmetric in
            // structure, and COLAMD left far more fill: Chen_MSB2009 (n = 500) spent 63% of its
            // time in klu_refactor and runs 5x faster with AMD; smaller models are unchanged.
            if let ls = linearSolver, let setOrdering = kluSetOrdering { _ = setOrdering(ls, 0) }
        } else {
            // Column-major position of each Jacobian entry.
            var slots: [Int] = []
            slots.reserveCapacity(model.jacobianNonZeros)
            for j in 0 ..< n {
                for idx in Int(model.jacobianColumnPointers[j]) ..< Int(model.jacobianColumnPointers[j + 1]) {
                    slots.append(j * n + Int(model.jacobianRowIndices[idx]))
                }
            }
            jacobianSlots = .allocate(capacity: slots.count)
            _ = jacobianSlots.initialize(from: slots)
            matrix = SUNDenseMatrix(sunindextype(vectorLength), sunindextype(vectorLength), ctx)
            guard let matrix else { throw SimulationError.solverFailure(time: 0, reason: "could not allocate the dense matrix", advice: "Out of memory?") }
            if options.kernels == .optimised {
                _ = cascade_fastops_install_dense_matrix(matrix)
                linearSolver = cascade_dense_lu_new(y, matrix, ctx)
            } else {
                linearSolver = SUNLinSol_Dense(y, matrix, ctx)
            }
        }
        guard linearSolver != nil else {
            throw SimulationError.solverFailure(time: 0, reason: "could not create the linear solver", advice: "Out of memory?")
        }
        cvode = CVodeCreate(CV_BDF, ctx)
        guard cvode != nil else {
            throw SimulationError.solverFailure(time: 0, reason: "could not create CVODE memory", advice: "Out of memory?")
        }
    }

    /// Creates or restarts CVODE at `t` from the current `y`.
    private func restart(at t: Double, countAsRestart: Bool) throws {
        if !initialised {
            let me = Unmanaged.passUnretained(self).toOpaque()
            try check(CVodeInit(cvode, cascadeRHS, t, y), "CVodeInit")
            try check(CVodeSetUserData(cvode, me), "CVodeSetUserData")
            CVodeSetErrHandlerFn(cvode, cascadeErrorHandler, me)
            try check(CVodeSetLinearSolver(cvode, linearSolver, matrix), "CVodeSetLinearSolver")
            if usesSparseSolver {
                try check(CVodeSetJacFn(cvode, cascadeSparseJacobian), "CVodeSetJacFn")
            } else {
                try check(CVodeSetJacFn(cvode, cascadeDenseJacobian), "CVodeSetJacFn")
            }
            try check(CVodeSetMaxNumSteps(cvode, options.maxSteps), "CVodeSetMaxNumSteps")
            try check(CVodeSetMaxOrd(cvode, Int32(options.maxOrder)), "CVodeSetMaxOrd")
            if let h = options.maxStepSize { try check(CVodeSetMaxStep(cvode, h), "CVodeSetMaxStep") }
            if let h = options.initialStepSize { try check(CVodeSetInitStep(cvode, h), "CVodeSetInitStep") }
            let at = N_VGetArrayPointer(abstol)!
            for k in 0 ..< vectorLength {
                at[k] = k < n ? (options.absoluteTolerances[model.stateIds[k]] ?? options.absoluteTolerance) : options.absoluteTolerance
            }
            try check(CVodeSVtolerances(cvode, options.relativeTolerance, abstol), "CVodeSVtolerances")
            if !model.rootAtoms.isEmpty {
                try check(CVodeRootInit(cvode, Int32(model.rootAtoms.count), cascadeRoots), "CVodeRootInit")
                CVodeSetNoInactiveRootWarn(cvode)
            }
            initialised = true
            countersPending = true
        } else {
            collectStatistics()
            try check(CVodeReInit(cvode, t, y), "CVodeReInit")
            countersPending = true
            if countAsRestart { statistics.restarts += 1 }
        }
    }

    /// True while CVODE's counters hold steps not yet added to `statistics`.
    private var countersPending = false

    /// Adds CVODE's counters since the last restart to `statistics`.
    private func collectStatistics() {
        guard countersPending else { return }
        countersPending = false
        var v = 0
        CVodeGetNumSteps(cvode, &v); statistics.steps += v
        CVodeGetNumRhsEvals(cvode, &v); statistics.rhsEvaluations += v
        CVodeGetNumJacEvals(cvode, &v); statistics.jacobianEvaluations += v
        CVodeGetNumLinSolvSetups(cvode, &v); statistics.linearSolverSetups += v
        CVodeGetNumErrTestFails(cvode, &v); statistics.errorTestFailures += v
        CVodeGetNumNonlinSolvIters(cvode, &v); statistics.nonlinearIterations += v
        CVodeGetNumNonlinSolvConvFails(cvode, &v); statistics.nonlinearConvergenceFailures += v
        CVodeGetNumGEvals(cvode, &v); statistics.rootFunctionEvaluations += v
    }

    // MARK: Callbacks

    /// The right-hand side and Jacobian runners keep what depends on the parameters alone
    /// between evaluations; this recomputes it after `paramValues` changed.
    private func parametersChanged() {
        rhsRunner.load(params: paramValues)
        jacRunner.load(params: paramValues)
    }

    func evaluateRHS(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ ydot: UnsafeMutablePointer<Double>) -> Int32 {
        if n == 0 { ydot[0] = 0; return 0 }
        rhsRunner.runVarying(time: t, states: yp)
        rhsRunner.copyOutputs(to: ydot)
        for k in 0 ..< n where !ydot[k].isFinite {
            nonFiniteState = k
            nonFiniteTime = t
            return 1  // recoverable: CVODE retries with a smaller step
        }
        return 0
    }

    func evaluateDenseJacobian(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        SUNMatZero(jac)
        if n == 0 { return 0 }
        let data = SUNDenseMatrix_Data(jac)!
        jacRunner.runVarying(time: t, states: yp)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        return 0
    }

    func evaluateSparseJacobian(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        let data = SUNSparseMatrix_Data(jac)!
        let ptrs = SUNSparseMatrix_IndexPointers(jac)!
        let vals = SUNSparseMatrix_IndexValues(jac)!
        for i in 0 ..< sparseColumnPointers.count { ptrs[i] = sparseColumnPointers[i] }
        for i in 0 ..< sparseRowIndices.count {
            vals[i] = sparseRowIndices[i]
            data[i] = 0
        }
        jacRunner.runVarying(time: t, states: yp)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        return 0
    }

    func evaluateRoots(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Int32 {
        rootRunner.run(time: t, params: paramValues, states: yp)
        rootRunner.copyOutputs(to: g)
        return 0
    }

    // MARK: Simulation

    /// Simulates from `start` (default: the first output time) through the output times.
    ///
    /// - Parameters:
    ///   - times: output times, ascending, none before `start`.
    ///   - outputs: the columns to report.
    ///   - inputs: values overriding the model's declared ones (parameters, compartment sizes,
    ///     species initial values in the unit they were declared in).
    ///   - initialStates: when given, the state vector to start from (in `model.stateIds` order,
    ///     species as amounts), replacing the initial values of the states; the other values
    ///     still come from the model and `inputs`. Used to continue from a steady state.
    public func simulate(times: [Double], outputs: [OutputColumn], inputs: [String: Double] = [:],
                         start: Double? = nil, initialStates: [Double]? = nil) throws -> Trajectory {
        guard let first = times.first else { throw SimulationError.invalidTimes("no output times") }
        let t0 = start ?? first
        guard t0.isFinite, times.allSatisfy({ $0.isFinite }) else { throw SimulationError.invalidTimes("times must be finite") }
        guard first >= t0 else { throw SimulationError.invalidTimes("output time \(first) is before the start \(t0)") }
        for i in 1 ..< times.count where times[i] < times[i - 1] {
            throw SimulationError.invalidTimes("times must not decrease (\(times[i - 1]) then \(times[i]))")
        }
        let columns: [Int] = try outputs.map { col in
            guard let i = model.outputIndex[col] else { throw SimulationError.unknownOutput(col.id) }
            return i
        }
        var nominals = model.nominalInputs
        for (id, v) in inputs.sorted(by: { $0.key < $1.key }) {
            guard let i = model.inputIndex[id] else { throw SimulationError.unknownInput(id) }
            guard v.isFinite else { throw SimulationError.invalidInput(id: id, value: v, reason: "values must be finite") }
            if v < 0, model.model.species(id) != nil || model.model.compartment(id) != nil {
                throw SimulationError.invalidInput(id: id, value: v, reason: "concentrations, amounts and sizes must not be negative")
            }
            nominals[i] = v
        }
        statistics = SolverStatistics()
        nonFiniteState = nil
        var run = EventState(model: model)
        if case .seeded(let seed) = options.eventTieBreak { run.random = SplitMix64(seed: seed) }

        // Initial values.
        let yp = N_VGetArrayPointer(y)!
        nominals.withUnsafeBufferPointer { q in initRunner.run(time: t0, params: nil, states: nil, nominals: q.baseAddress) }
        for k in 0 ..< n { yp[k] = initRunner.output(k) }
        if n == 0 { yp[0] = 0 }
        if let given = initialStates {
            guard given.count == n else {
                throw SimulationError.invalidTimes("initialStates has \(given.count) values, the model has \(n) states")
            }
            for k in 0 ..< n { yp[k] = given[k] }
        }
        for j in 0 ..< paramCount { paramValues[j] = initRunner.output(n + j) }
        parametersChanged()
        if !options.allowNonFiniteOutputs {
            for k in 0 ..< n where !yp[k].isFinite {
                throw SimulationError.nonFinite(what: "the initial value of '\(model.stateIds[k])'", time: t0)
            }
            for j in 0 ..< paramCount where !paramValues[j].isFinite {
                throw SimulationError.nonFinite(what: "the initial value of '\(model.parameterIds[j])'", time: t0)
            }
        }

        let recording: TapeRunner
        if let r = recorder, r.columns == columns {
            recording = r.runner
        } else {
            recording = TapeRunner(model.outputTape.pruned(to: columns))
            recorder = (columns, recording)
        }
        var rows: [Double] = []
        rows.reserveCapacity(times.count * columns.count)
        func record(_ t: Double) throws {
            recording.run(time: t, params: paramValues, states: yp)
            for c in 0 ..< columns.count {
                let v = recording.output(c)
                if !v.isFinite && !options.allowNonFiniteOutputs {
                    throw SimulationError.nonFinite(what: "'\(outputs[c].id)'", time: t)
                }
                rows.append(v)
            }
        }

        // Events at the start.
        var t = t0
        try evaluateDiscrete(t)
        run.initialise(atoms: discreteRunner, model: model)
        try processInstant(&run, t: t, crossed: [:])

        var next = 0
        while next < times.count && times[next] <= t {
            try record(times[next])
            next += 1
        }
        var needRestart = true
        var firstStart = true
        var rootsFound = [Int32](repeating: 0, count: max(1, model.rootAtoms.count))
        var continuedFromRoot = false
        // Reused between outputs, so the loop allocates nothing.
        let timeAtoms = model.timeAtoms, atomCount = model.atomOps.count
        var crossings: [(atom: Int, time: Double)] = []
        var stopAtoms: [Int] = []
        crossings.reserveCapacity(timeAtoms.count)
        stopAtoms.reserveCapacity(timeAtoms.count)
        while next < times.count {
            let tout = times[next]
            // The next discontinuity: delayed events and time-triggered conditions. Crossing
            // times within a few rounding errors of each other are taken as one instant.
            var tstop = Double.infinity
            if let d = run.nextDelayedTime(after: t) { tstop = d }
            crossings.removeAll(keepingCapacity: true)
            if !timeAtoms.isEmpty {
                try evaluateDiscrete(t)
                for (k, a) in timeAtoms.enumerated() {
                    let gval = discreteRunner.output(a)
                    let slope = discreteRunner.output(atomCount + k)
                    guard slope != 0, slope.isFinite else { continue }
                    let tc = t - gval / slope
                    guard tc > t else { continue }
                    crossings.append((a, tc))
                    tstop = Swift.min(tstop, tc)
                }
            }
            let sameInstant = 16 * Double.ulpOfOne * Swift.max(1, abs(tstop))
            stopAtoms.removeAll(keepingCapacity: true)
            for c in crossings where c.time <= tstop + sameInstant { stopAtoms.append(c.atom) }
            if needRestart {
                try restart(at: t, countAsRestart: !firstStart)
                needRestart = false
                firstStart = false
            }
            // CVODE may already have stepped to (or past) the stop time while reaching the last
            // output; then the value at the stop time comes from interpolation instead.
            var internalTime = t
            CVodeGetCurrentTime(cvode, &internalTime)
            // SUNDIALS 6.4 cannot clear a stop time, so "none" is the largest finite time.
            let limit = tstop.isFinite && tstop > internalTime ? tstop : Double.greatestFiniteMagnitude
            try check(CVodeSetStopTime(cvode, limit), "CVodeSetStopTime")
            var tret = t
            let target = Swift.min(tout, tstop)
            let flag = CVode(cvode, target, y, &tret, CV_NORMAL)
            if flag == CV_ILL_INPUT && continuedFromRoot {
                // CVODE cannot continue from a root whose function stays exactly zero (it
                // reports the same root again); a restart makes that root inactive until it
                // moves away.
                continuedFromRoot = false
                needRestart = true
                continue
            }
            if flag < 0 { throw failure(flag, time: tret) }
            // A right-hand side that keeps failing can leave CVODE stalled with a zero step;
            // report it rather than returning interpolated nonsense.
            var reached = t
            CVodeGetCurrentTime(cvode, &reached)
            if reached < tret, nonFiniteState != nil { throw failure(CV_REPTD_RHSFUNC_ERR, time: reached) }
            t = tret
            var crossed: [Int: Double] = [:]
            if flag == CV_ROOT_RETURN {
                CVodeGetRootInfo(cvode, &rootsFound)
                for (k, a) in model.rootAtoms.enumerated() where rootsFound[k] != 0 {
                    crossed[a] = Double(rootsFound[k])
                }
            }
            if t == tstop {
                try evaluateDiscrete(t)
                for (k, a) in timeAtoms.enumerated() where stopAtoms.contains(a) {
                    crossed[a] = discreteRunner.output(atomCount + k) > 0 ? 1 : -1
                }
            }
            // An output at this instant sees each condition's own truth there: a strict one
            // (time > 2) is still false at t = 2, so its events execute just after the output,
            // and a non-strict one (time >= 2) already holds, so its events execute before it.
            if t == tstop, next < times.count, times[next] <= t {
                var after: [Int: Double] = [:]
                for (a, direction) in crossed where stopAtoms.contains(a) {
                    let op = model.atomOps[a]
                    let farSide: Bool
                    switch op {
                    case .gt, .ge: farSide = direction > 0
                    case .lt, .le: farSide = direction < 0
                    default: continue
                    }
                    if farSide != EventState.truth(op, 0) { after[a] = direction }
                }
                if !after.isEmpty {
                    let changes = run.changes
                    run.held = Set(after.keys)
                    for a in after.keys { crossed[a] = nil }
                    if !crossed.isEmpty || run.hasDue(at: t) { try processInstant(&run, t: t, crossed: crossed) }
                    run.held = []
                    while next < times.count && times[next] <= t {
                        try record(times[next])
                        next += 1
                    }
                    if run.changes != changes || crossed.keys.contains(where: { model.discontinuityAtoms.contains($0) }) {
                        needRestart = true
                    }
                    crossed = after
                }
            }
            if !crossed.isEmpty || run.hasDue(at: t) {
                let changes = run.changes
                try processInstant(&run, t: t, crossed: crossed)
                // Restart only when something changed or the right-hand side jumped.
                if run.changes != changes || crossed.keys.contains(where: { model.discontinuityAtoms.contains($0) }) {
                    needRestart = true
                }
            }
            continuedFromRoot = flag == CV_ROOT_RETURN && !needRestart
            while next < times.count && times[next] <= t {
                try record(times[next])
                next += 1
            }
        }
        collectStatistics()
        statistics.eventsExecuted = run.executed
        return Trajectory(times: times, columns: outputs, values: rows, statistics: statistics)
    }

    private func evaluateDiscrete(_ t: Double) throws {
        let yp = N_VGetArrayPointer(y)!
        discreteRunner.run(time: t, params: paramValues, states: yp)
    }

    /// Handles everything at one instant: atom crossings, triggers, event execution in priority order.
    private func processInstant(_ run: inout EventState, t: Double, crossed: [Int: Double]) throws {
        try evaluateDiscrete(t)
        run.updateAtoms(discreteRunner, model: model, time: t, crossed: crossed)
        try run.updateTriggers(discreteRunner, model: model, time: t)
        var executedHere = 0
        let yp = N_VGetArrayPointer(y)!
        while let (eventIndex, stored) = run.popReady(at: t, discrete: discreteRunner, model: model) {
            executedHere += 1
            if executedHere > options.maxEventsPerInstant {
                throw SimulationError.eventLoop(time: t, events: [model.events[eventIndex].id])
            }
            let e = model.events[eventIndex]
            let values = stored ?? e.assignments.map { discreteRunner.output($0.value) }
            // Values are computed before any assignment takes effect; species assignments are
            // converted to amounts with the sizes before the event. Concentration states then
            // keep their amounts as their compartment's size changes.
            var resized: [(states: [Int], ratio: Double)] = []
            var assignedParameter = false
            for (a, v) in zip(e.assignments, values) {
                let scaled = v * discreteRunner.output(a.scale)
                let old: Double
                switch a.target {
                case .state(let k): old = yp[k]; yp[k] = scaled
                case .param(let j): old = paramValues[j]; paramValues[j] = scaled; assignedParameter = true
                }
                if !a.rescale.isEmpty && scaled != 0 { resized.append((a.rescale, old / scaled)) }
            }
            for (states, ratio) in resized { for k in states { yp[k] *= ratio } }
            if assignedParameter { parametersChanged() }
            run.executed += 1
            run.changes += e.assignments.count
            try evaluateDiscrete(t)
            run.updateAtoms(discreteRunner, model: model, time: t, crossed: [:])
            try run.updateTriggers(discreteRunner, model: model, time: t)
        }
    }

    func failure(_ flag: Int32, time: Double) -> SimulationError {
        let msg = lastMessage.isEmpty ? "" : " (CVODE: \(lastMessage))"
        switch flag {
        case CV_TOO_MUCH_WORK:
            return .solverFailure(time: time, reason: "more than \(options.maxSteps) internal steps were needed before the next output\(msg)",
                                  advice: "Raise the step limit (maxSteps), add output times, or check the model for very fast or oscillating processes.")
        case CV_TOO_MUCH_ACC:
            return .solverFailure(time: time, reason: "the requested accuracy cannot be reached\(msg)",
                                  advice: "Loosen the relative or absolute tolerance.")
        case CV_ERR_FAILURE:
            return .solverFailure(time: time, reason: "the error test failed repeatedly\(msg)",
                                  advice: "Look for a discontinuity the model does not express as an event or piecewise condition, or loosen the tolerances.")
        case CV_CONV_FAILURE:
            return .solverFailure(time: time, reason: "the Newton iteration failed to converge repeatedly\(msg)",
                                  advice: "The model may be extremely stiff or ill-posed; check rate constants and initial values.")
        case CV_LSETUP_FAIL, CV_LSOLVE_FAIL:
            return .solverFailure(time: time, reason: "the linear solver failed (a singular Newton matrix)\(msg)",
                                  advice: "Check for rates that are infinite or undefined at this state.")
        case CV_RHSFUNC_FAIL, CV_FIRST_RHSFUNC_ERR, CV_REPTD_RHSFUNC_ERR, CV_UNREC_RHSFUNC_ERR:
            let what = nonFiniteState.map { "the rate of change of '\(model.stateIds[$0])' is not finite (at t = \(nonFiniteTime))" }
                ?? "the right-hand side could not be evaluated"
            return .solverFailure(time: time, reason: what,
                                  advice: "Look for a division by zero, a log or power of a negative value, or an overflow in the rate laws.")
        case CV_RTFUNC_FAIL:
            return .solverFailure(time: time, reason: "an event condition could not be evaluated\(msg)", advice: "Check event triggers.")
        default:
            return .solverFailure(time: time, reason: "CVODE returned flag \(flag)\(msg)", advice: "Check the settings and the model.")
        }
    }
}

// MARK: - Event bookkeeping

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
    /// Atoms whose crossing at the current instant takes effect only after the outputs there:
    /// their truth is kept as it was until then.
    var held: Set<Int> = []
    /// The generator for tie-breaking among simultaneous events of equal priority, if random.
    var random: SplitMix64?

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

/// SUNLinSol_KLUSetOrdering from SUNDIALS' KLU interface, looked up at run time: its header is
/// not among the modules Swift sees.
private let kluSetOrdering: (@convention(c) (SUNLinearSolver?, Int32) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_LAZY), let symbol = dlsym(handle, "SUNLinSol_KLUSetOrdering") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (SUNLinearSolver?, Int32) -> Int32).self)
}()

// MARK: - C callbacks (non-capturing; state passed through user_data)

// The simulator outlives every call CVODE makes into it, so the callbacks borrow it without a
// retain/release pair (which was ~2% of a small model's time, once per right-hand side).
private func cascadeRHS(_ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRHS(t, N_VGetArrayPointer(y)!, N_VGetArrayPointer(ydot)!)
    }
}

private func cascadeDenseJacobian(_ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
                                  _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateDenseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

private func cascadeSparseJacobian(_ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
                                   _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateSparseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

private func cascadeRoots(_ t: sunrealtype, _ y: N_Vector?, _ g: UnsafeMutablePointer<sunrealtype>?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRoots(t, N_VGetArrayPointer(y)!, g!)
    }
}

private func cascadeErrorHandler(_ code: Int32, _ module: UnsafePointer<CChar>?, _ function: UnsafePointer<CChar>?,
                                 _ msg: UnsafeMutablePointer<CChar>?, _ ud: UnsafeMutableRawPointer?) {
    guard let ud else { return }
    let sim = Unmanaged<Simulator>.fromOpaque(ud).takeUnretainedValue()
    sim.lastMessage = msg.map { String(cString: $0) } ?? ""
}
