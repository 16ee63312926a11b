import CFastOps
import CKLU
import CSundials
import CascadeCore
import Foundation

/// Integrates a compiled model with SUNDIALS CVODE (BDF, Newton, analytic Jacobian), or with
/// IDA when the model is differential-algebraic (see `DAESolver`).
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
    /// IDA in place of CVODE, for a differential-algebraic model.
    private var dae: DAESolver?

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
    /// The history of a model with delays (`delay(x, d)`), nil for the others.
    private let delayHistory: DelayHistory?
    private let rateScratch: UnsafeMutablePointer<Double>
    /// Position in the dense (column-major) or KLU data array of each Jacobian tape output.
    private var jacobianSlots: UnsafeMutableBufferPointer<Int> = .init(start: nil, count: 0)
    private var sparseColumnPointers: UnsafeMutableBufferPointer<Int64> = .init(start: nil, count: 0)
    private var sparseRowIndices: UnsafeMutableBufferPointer<Int64> = .init(start: nil, count: 0)

    // Failure details captured in callbacks.
    var lastMessage = ""
    var nonFiniteState: Int?
    var nonFiniteTime = 0.0
    /// The states at which the right-hand side was last not finite (to name the reaction).
    var nonFiniteStates: [Double] = []

    public init(_ model: CompiledModel, options: SolverOptions = SolverOptions()) throws {
        self.model = model
        self.options = options
        n = model.stateCount
        vectorLength = max(n, 1)
        paramCount = model.parameterIds.count
        paramValues = .allocate(capacity: max(1, paramCount))
        paramValues.initialize(repeating: 0, count: max(1, paramCount))
        rhsRunner = TapeRunner(model.lockedRhsTape ?? model.rhsTape)
        jacRunner = TapeRunner(model.lockedJacobianTape ?? model.jacobianTape)
        rootRunner = TapeRunner(model.rootTape)
        discreteRunner = TapeRunner(model.discreteTape)
        initRunner = TapeRunner(model.initTape)
        if let tape = model.delayTape, let history = model.delayHistoryTape {
            delayHistory = DelayHistory(model: model, tape: tape, history: history)
        } else {
            delayHistory = nil
        }
        rateScratch = .allocate(capacity: max(1, model.stateCount))
        rateScratch.initialize(repeating: 0, count: max(1, model.stateCount))
        let density = Double(model.jacobianNonZeros) / Double(max(1, n * n))
        switch options.linearSolver {
        case _ where model.isDifferentialAlgebraic: usesSparseSolver = false  // IDA: dense LU
        case .dense: usesSparseSolver = false
        case .sparse: usesSparseSolver = n > 0
        case .automatic:
            let perColumn = Double(model.jacobianNonZeros) / Double(max(1, n))
            usesSparseSolver =
                n >= SolverOptions.sparseThreshold
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
        rateScratch.deallocate()
        jacobianSlots.deallocate()
        sparseColumnPointers.deallocate()
        sparseRowIndices.deallocate()
    }

    private func check(_ flag: Int32, _ what: String) throws {
        if flag < 0 {
            throw SimulationError.solverFailure(
                time: 0, reason: "\(what) failed (flag \(flag)) \(lastMessage)",
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
        if model.isDifferentialAlgebraic {
            dae = try DAESolver(model: model, options: options, context: ctx, y: y, params: paramValues)
            dae?.delayHistory = delayHistory
            return
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
            if let ls = linearSolver { _ = cascade_klu_set_ordering(ls, 0) }
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

    /// Creates or restarts CVODE at `t` from the current `y` (IDA: made consistent; `toward` is
    /// the next time the integration heads for).
    private func restart(at t: Double, toward: Double, countAsRestart: Bool) throws {
        if let dae {
            dae.collect(into: &statistics)
            try dae.start(at: t, toward: toward)
            if countAsRestart { statistics.restarts += 1 }
            if let history = delayHistory, let d = history.shortestDelay(t, state: N_VGetArrayPointer(y)!, params: paramValues) {
                try dae.setMaxStep(Swift.min(d, options.maxStepSize ?? d))
            }
            return
        }
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
        if let history = delayHistory,
            let d = history.shortestDelay(t, state: N_VGetArrayPointer(y)!, params: paramValues)
        {
            try check(CVodeSetMaxStep(cvode, Swift.min(d, options.maxStepSize ?? d)), "CVodeSetMaxStep")
        }
    }

    /// Fills the delayed values for an evaluation at `t` (models with delays only).
    @inline(__always)
    private func fillDelays(_ t: Double, _ yp: UnsafePointer<Double>) {
        guard let history = delayHistory else { return }
        history.fill(t, state: yp, params: paramValues)
    }

    /// Adds the current state (after a step or an event) to the delay history.
    private func recordHistory(_ t: Double) {
        guard let history = delayHistory else { return }
        let yp = N_VGetArrayPointer(y)!
        if let dae {
            // IDA's derivatives: the rates of the differential states and of the algebraic ones.
            history.append(t, state: yp, rate: dae.derivatives, params: paramValues)
            return
        }
        _ = evaluateRHS(t, yp, rateScratch)
        history.append(t, state: yp, rate: rateScratch, params: paramValues)
    }

    /// True while CVODE's counters hold steps not yet added to `statistics`.
    private var countersPending = false

    /// Adds CVODE's counters since the last restart to `statistics`.
    private func collectStatistics() {
        if let dae { dae.collect(into: &statistics) }
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
        dae?.parametersChanged()
    }

    func evaluateRHS(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ ydot: UnsafeMutablePointer<Double>) -> Int32 {
        if n == 0 { ydot[0] = 0; return 0 }
        if delayHistory != nil {
            fillDelays(t, yp)
            rhsRunner.loadVaryingParams(paramValues)
        }
        rhsRunner.runVarying(time: t, states: yp)
        rhsRunner.copyOutputs(to: ydot)
        for k in 0 ..< n where !ydot[k].isFinite {
            nonFiniteState = k
            nonFiniteTime = t
            nonFiniteStates = Array(UnsafeBufferPointer(start: yp, count: n))
            return 1  // recoverable: CVODE retries with a smaller step
        }
        return 0
    }

    func evaluateDenseJacobian(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        SUNMatZero(jac)
        if n == 0 { return 0 }
        let data = SUNDenseMatrix_Data(jac)!
        if delayHistory != nil {
            fillDelays(t, yp)
            jacRunner.loadVaryingParams(paramValues)
        }
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
        if delayHistory != nil {
            fillDelays(t, yp)
            jacRunner.loadVaryingParams(paramValues)
        }
        jacRunner.runVarying(time: t, states: yp)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        return 0
    }

    func evaluateRoots(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Int32 {
        if delayHistory != nil { fillDelays(t, yp) }
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
    ///     still come from the model and `inputs`. Used to continue from a steady state. The
    ///     history of `delay(x, d)` before the start is then constant at this state (see
    ///     `DelayHistory`); the states an algebraic rule determines are solved for again.
    public func simulate(
        times: [Double], outputs: [OutputColumn], inputs: [String: Double] = [:],
        start: Double? = nil, initialStates: [Double]? = nil
    ) throws -> Trajectory {
        let t0 = try startTime(times: times, start: start)
        let columns = try columnIndices(outputs)
        let nominals = try nominalValues(overriddenBy: inputs)
        statistics = SolverStatistics()
        nonFiniteState = nil
        var run = EventState(model: model)
        if case .seeded(let seed) = options.eventTieBreak { run.random = SplitMix64(seed: seed) }
        try setInitialValues(nominals, at: t0, initialStates: initialStates)
        // A DAE's algebraic states have only guesses as initial values: its history is the
        // (consistent) start state.
        delayHistory?.reset(nominals: nominals, fromGivenState: initialStates != nil || dae != nil)
        // The algebraic rules hold from the start: the outputs and events at t0 see them.
        try dae?.start(at: t0, toward: times.last! > t0 ? times.last! : t0 + 1)
        var rows = OutputRows(
            runner: recordingRunner(for: columns), outputs: outputs,
            allowNonFinite: options.allowNonFiniteOutputs, capacity: times.count * columns.count)

        // Events at the start.
        try evaluateDiscrete(t0)
        run.initialise(atoms: discreteRunner, model: model)
        lockBranches(run)
        try processInstant(&run, t: t0, crossed: [:])
        recordHistory(t0)

        try integrate(from: t0, through: times, events: &run, rows: &rows)
        collectStatistics()
        statistics.eventsExecuted = run.executed
        return Trajectory(times: times, columns: outputs, values: rows.values, statistics: statistics)
    }

    /// The start of the simulation, after checking the output times against it.
    private func startTime(times: [Double], start: Double?) throws -> Double {
        guard let first = times.first else { throw SimulationError.invalidTimes("no output times") }
        let t0 = start ?? first
        guard t0.isFinite, times.allSatisfy({ $0.isFinite }) else { throw SimulationError.invalidTimes("times must be finite") }
        guard first >= t0 else { throw SimulationError.invalidTimes("output time \(first) is before the start \(t0)") }
        for i in 1 ..< times.count where times[i] < times[i - 1] {
            throw SimulationError.invalidTimes("times must not decrease (\(times[i - 1]) then \(times[i]))")
        }
        return t0
    }

    /// The position of each requested column on the output tape.
    private func columnIndices(_ outputs: [OutputColumn]) throws -> [Int] {
        try outputs.map { col in
            guard let i = model.outputIndex[col] else { throw SimulationError.unknownOutput(col.id) }
            return i
        }
    }

    /// The model's nominal inputs with `inputs` in place of the declared values.
    private func nominalValues(overriddenBy inputs: [String: Double]) throws -> [Double] {
        var nominals = model.nominalInputs
        for (id, v) in inputs.sorted(by: { $0.key < $1.key }) {
            guard let i = model.inputIndex[id] else { throw SimulationError.unknownInput(id) }
            guard v.isFinite else { throw SimulationError.invalidInput(id: id, value: v, reason: "values must be finite") }
            if v < 0, model.model.species(id) != nil || model.model.compartment(id) != nil {
                throw SimulationError.invalidInput(id: id, value: v, reason: "concentrations, amounts and sizes must not be negative")
            }
            nominals[i] = v
        }
        return nominals
    }

    /// Fills the state and parameter vectors from the initial-value tape (or `initialStates`).
    private func setInitialValues(_ nominals: [Double], at t0: Double, initialStates: [Double]?) throws {
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
    }

    /// The output tape pruned to `columns`, kept for the next call asking for the same ones.
    private func recordingRunner(for columns: [Int]) -> TapeRunner {
        if let r = recorder, r.columns == columns { return r.runner }
        let runner = TapeRunner(model.outputTape.pruned(to: columns))
        recorder = (columns, runner)
        return runner
    }

    /// The output values, row after row, as the integration reaches each output time.
    private struct OutputRows {
        let runner: TapeRunner
        let outputs: [OutputColumn]
        let allowNonFinite: Bool
        var values: [Double] = []

        init(runner: TapeRunner, outputs: [OutputColumn], allowNonFinite: Bool, capacity: Int) {
            self.runner = runner
            self.outputs = outputs
            self.allowNonFinite = allowNonFinite
            values.reserveCapacity(capacity)
        }

        /// Records the rows of the output times from `next` up to `t`, advancing `next`.
        mutating func record(
            _ times: [Double], from next: inout Int, through t: Double,
            params: UnsafeMutablePointer<Double>, states: UnsafeMutablePointer<Double>
        ) throws {
            while next < times.count && times[next] <= t {
                let time = times[next]
                runner.run(time: time, params: params, states: states)
                // One row at a time through a buffer: appending value by value here re-checked
                // the array's uniqueness for every value (140 ns per output time on ketamine).
                let n = outputs.count, start = values.count
                values.append(contentsOf: repeatElement(0, count: n))
                try values.withUnsafeMutableBufferPointer { row in
                    for c in 0 ..< n {
                        let v = runner.output(c)
                        if !v.isFinite && !allowNonFinite {
                            throw SimulationError.nonFinite(what: "'\(outputs[c].id)'", time: time)
                        }
                        row[start + c] = v
                    }
                }
                next += 1
            }
        }
    }

    /// Integrates from `t0` through the output times, stopping at every discontinuity (delayed
    /// events, time-triggered conditions, roots) to process the events there.
    private func integrate(
        from t0: Double, through times: [Double], events run: inout EventState,
        rows: inout OutputRows
    ) throws {
        let yp = N_VGetArrayPointer(y)!
        var t = t0
        var next = 0
        try record(&rows, times, from: &next, through: t)
        var needRestart = true
        var firstStart = true
        var rootsFound = [Int32](repeating: 0, count: max(1, model.rootAtoms.count))
        var continuedFromRoot = false
        let timeAtoms = model.timeAtoms
        var stop = StopAtoms(capacity: timeAtoms.count)
        while next < times.count {
            let tout = times[next]
            let tstop = try nextStop(after: t, events: run, timeAtoms: timeAtoms, into: &stop)
            if needRestart {
                try restart(at: t, toward: Swift.min(tout, tstop), countAsRestart: !firstStart)
                needRestart = false
                firstStart = false
            }
            let (flag, tret) = try advance(from: t, toward: tout, stop: tstop)
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
            if let dae { reached = dae.currentTime } else { CVodeGetCurrentTime(cvode, &reached) }
            if reached < tret, nonFiniteState != nil { throw failure(CV_REPTD_RHSFUNC_ERR, time: reached) }
            // A non-finite rate CVODE stepped around is forgotten once it reaches the next stop;
            // one that remains makes the failure below name it (see `failure`).
            nonFiniteState = nil
            t = tret
            var crossed = try crossedAtoms(
                flag: flag, at: t, stop: tstop, stopAtoms: stop.atoms, timeAtoms: timeAtoms,
                rootsFound: &rootsFound)
            var restartBefore = false
            if t == tstop, next < times.count, times[next] <= t {
                // An output at this instant sees each condition's own truth there: a strict one
                // (time > 2) is still false at t = 2, so its events execute just after the
                // output; a non-strict one (time >= 2) already holds, so its events come before.
                let after = crossingsAfterOutputs(crossed, stopAtoms: stop.atoms)
                if !after.isEmpty {
                    for a in after.keys { crossed[a] = nil }
                    run.held = Set(after.keys)
                    if !crossed.isEmpty || run.hasDue(at: t) {
                        restartBefore = try processCrossings(&run, at: t, crossed: crossed)
                    }
                    run.held = []
                    try record(&rows, times, from: &next, through: t)
                    crossed = after
                }
            }
            if !crossed.isEmpty || run.hasDue(at: t) {
                needRestart = try processCrossings(&run, at: t, crossed: crossed) || restartBefore
            } else if restartBefore {
                needRestart = true
            }
            continuedFromRoot = flag == CV_ROOT_RETURN && !needRestart
            try record(&rows, times, from: &next, through: t)
        }
    }

    /// The time-triggered atoms crossing at the next stop (filled by `nextStop`), with the
    /// crossing times considered. Kept by the integration loop and reused between outputs, so the
    /// loop allocates nothing (and, being local, costs no exclusivity checks).
    private struct StopAtoms {
        var crossings: [(atom: Int, time: Double)] = []
        var atoms: [Int] = []

        init(capacity: Int) {
            crossings.reserveCapacity(capacity)
            atoms.reserveCapacity(capacity)
        }
    }

    /// The next discontinuity after `t`: delayed events and time-triggered conditions. Crossing
    /// times within a few rounding errors of each other are taken as one instant; the atoms
    /// crossing then are left in `stop.atoms`.
    private func nextStop(after t: Double, events run: EventState, timeAtoms: [Int], into stop: inout StopAtoms) throws -> Double {
        let atomCount = model.atomOps.count
        var tstop = Double.infinity
        if let d = run.nextDelayedTime(after: t) { tstop = d }
        stop.crossings.removeAll(keepingCapacity: true)
        if !timeAtoms.isEmpty {
            try evaluateDiscrete(t)
            for (k, a) in timeAtoms.enumerated() {
                let gval = discreteRunner.output(a)
                let slope = discreteRunner.output(atomCount + k)
                guard slope != 0, slope.isFinite else { continue }
                let tc = t - gval / slope
                guard tc > t else { continue }
                stop.crossings.append((a, tc))
                tstop = Swift.min(tstop, tc)
            }
        }
        let sameInstant = 16 * Double.ulpOfOne * Swift.max(1, abs(tstop))
        stop.atoms.removeAll(keepingCapacity: true)
        for c in stop.crossings where c.time <= tstop + sameInstant { stop.atoms.append(c.atom) }
        return tstop
    }

    /// One call of CVODE towards the next output time, not past `tstop`; returns its flag and the
    /// time reached.
    private func advance(from t: Double, toward tout: Double, stop tstop: Double) throws -> (flag: Int32, time: Double) {
        if let dae {
            let result =
                delayHistory == nil
                ? try dae.advance(toward: Swift.min(tout, tstop), stop: tstop)
                : try dae.advanceStepwise(from: t, toward: Swift.min(tout, tstop), stop: tstop) { recordHistory($0) }
            lastMessage = dae.lastMessage
            nonFiniteState = dae.nonFiniteState
            nonFiniteTime = dae.nonFiniteTime
            return result
        }
        if delayHistory != nil { return try advanceStepwise(from: t, toward: tout, stop: tstop) }
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
        return (flag, tret)
    }

    /// `advance` for models with delays: one internal step at a time, each added to the history.
    private func advanceStepwise(from t: Double, toward tout: Double, stop tstop: Double) throws -> (flag: Int32, time: Double) {
        var internalTime = t
        CVodeGetCurrentTime(cvode, &internalTime)
        // Stepping one step at a time, CVODE stops at the target itself, so no output is
        // interpolated from beyond a root or a stop.
        let target = Swift.min(tout, tstop)
        if target > internalTime { try check(CVodeSetStopTime(cvode, target), "CVodeSetStopTime") }
        if internalTime > t && internalTime >= target {
            // Already stepped past the target while reaching the last one: interpolate.
            let flag = CVodeGetDky(cvode, target, 0, y)
            return (flag < 0 ? flag : CV_SUCCESS, target)
        }
        var tret = t
        while true {
            let flag = CVode(cvode, target, y, &tret, CV_ONE_STEP)
            if flag < 0 { return (flag, tret) }
            recordHistory(tret)
            if flag == CV_ROOT_RETURN { return (flag, tret) }
            if flag == CV_TSTOP_RETURN || tret >= target {
                if tret == target { return (tret == tstop ? CV_TSTOP_RETURN : CV_SUCCESS, tret) }
                if tret > target {
                    let f = CVodeGetDky(cvode, target, 0, y)
                    if f < 0 { return (f, tret) }
                    tret = target
                }
                return (CV_SUCCESS, tret)
            }
        }
    }

    /// Records the output rows due by `t` (after filling the delayed values there).
    private func record(_ rows: inout OutputRows, _ times: [Double], from next: inout Int, through t: Double) throws {
        let yp = N_VGetArrayPointer(y)!
        fillDelays(t, yp)
        try rows.record(times, from: &next, through: t, params: paramValues, states: yp)
    }

    /// The atoms that crossed at `t` and the side they crossed to (+1 rising, -1 falling): the
    /// roots CVODE found, and at the stop time the time-triggered atoms due then.
    private func crossedAtoms(
        flag: Int32, at t: Double, stop tstop: Double, stopAtoms: [Int], timeAtoms: [Int],
        rootsFound: inout [Int32]
    ) throws -> [Int: Double] {
        var crossed: [Int: Double] = [:]
        if flag == CV_ROOT_RETURN {
            if let dae { dae.rootInfo(&rootsFound) } else { CVodeGetRootInfo(cvode, &rootsFound) }
            for (k, a) in model.rootAtoms.enumerated() where rootsFound[k] != 0 {
                crossed[a] = Double(rootsFound[k])
            }
        }
        if t == tstop {
            try evaluateDiscrete(t)
            let atomCount = model.atomOps.count
            for (k, a) in timeAtoms.enumerated() where stopAtoms.contains(a) {
                crossed[a] = discreteRunner.output(atomCount + k) > 0 ? 1 : -1
            }
        }
        return crossed
    }

    /// The time-triggered atoms among `crossed` whose new truth takes effect only after the
    /// instant: those whose condition is false exactly at the crossing (`time > 2` rising at 2)
    /// or still true there (`2 >= time` falling at 2).
    private func crossingsAfterOutputs(_ crossed: [Int: Double], stopAtoms: [Int]) -> [Int: Double] {
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
        return after
    }

    /// Processes the events of the instant `t`; true when the integrator must restart (something
    /// changed, or the right-hand side jumped).
    private func processCrossings(_ run: inout EventState, at t: Double, crossed: [Int: Double]) throws -> Bool {
        let changes = run.changes
        try processInstant(&run, t: t, crossed: crossed)
        if delayHistory != nil && run.changes != changes { recordHistory(t) }
        return run.changes != changes || crossed.keys.contains(where: { model.discontinuityAtoms.contains($0) })
    }

    private func evaluateDiscrete(_ t: Double) throws {
        let yp = N_VGetArrayPointer(y)!
        if delayHistory != nil { fillDelays(t, yp) }
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
            // The algebraic rules hold after each event, for the triggers and events that follow.
            try dae?.start(at: t, toward: t + Swift.max(1, abs(t)))
            run.executed += 1
            run.changes += e.assignments.count
            try evaluateDiscrete(t)
            run.updateAtoms(discreteRunner, model: model, time: t, crossed: [:])
            try run.updateTriggers(discreteRunner, model: model, time: t)
        }
        lockBranches(run)
    }

    /// Sets the branch flags of the locked right-hand side and Jacobian from the atoms' truth.
    private func lockBranches(_ run: EventState) { run.lockBranches(of: rhsRunner, jacRunner, model: model) }
}
