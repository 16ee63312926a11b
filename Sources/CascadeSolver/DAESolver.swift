import CFastOps
import CSundials
import CascadeCore
import Foundation

/// The integrator of a differential-algebraic model (`CompiledModel.isDifferentialAlgebraic`):
/// SUNDIALS IDA (variable-order BDF, Newton, dense LU, analytic Jacobian) on the residual
///
///     F(t, y, y')_k = f_k(t, y) − y'_k   for a differential state k,
///     F(t, y, y')_k = g_k(t, y)          for a state an algebraic rule `0 = g_k` determines,
///
/// built from the same tapes as the ODE path: the right-hand-side tape gives `f` and `g` (the
/// residual of an algebraic rule stands where a rate would), and its Jacobian tape `∂f/∂y` and
/// `∂g/∂y`, so IDA's iteration matrix is `∂F/∂y + c_j ∂F/∂y'` = the Jacobian tape with `c_j`
/// subtracted on the diagonal of the differential rows.
///
/// Every (re)start — the start of a simulation and after an event changed anything — computes
/// consistent values with `IDACalcIC`: the differential states are kept, the algebraic ones and
/// the derivatives of the differential ones are solved for, starting from the values there (for
/// the start, the variable's declared value or initial assignment; 1 when it has none). A rule
/// with several solutions (`y² + x² = 1`) thus follows the one nearest that guess.
///
/// `Simulator` owns one and calls it in place of CVODE; events, outputs and statistics are the
/// simulator's.
final class DAESolver {
    let model: CompiledModel
    let options: SolverOptions
    let n: Int
    private var ida: UnsafeMutableRawPointer?
    private let y: N_Vector
    private let yp: N_Vector
    private let ids: N_Vector
    private let abstol: N_Vector
    private let matrix: SUNMatrix
    private let linearSolver: SUNLinearSolver
    private var initialised = false
    private var countersPending = false
    let paramValues: UnsafeMutablePointer<Double>
    private let rhsRunner: TapeRunner
    private let jacRunner: TapeRunner
    private let rootRunner: TapeRunner
    private let differential: UnsafeMutableBufferPointer<Bool>
    /// Column-major position of each Jacobian tape output, and of each differential diagonal.
    private let jacobianSlots: UnsafeMutableBufferPointer<Int>
    private let diagonalSlots: UnsafeMutableBufferPointer<Int>
    /// The history of a model with delays (the simulator's), nil for the others.
    var delayHistory: DelayHistory?
    var lastMessage = ""
    /// The state whose residual was last not finite, and when.
    var nonFiniteState: Int?
    var nonFiniteTime = 0.0

    /// `y` is the simulator's state vector (IDA integrates it in place); `params` its parameter
    /// vector.
    init(model: CompiledModel, options: SolverOptions, context: SUNContext, y: N_Vector, params: UnsafeMutablePointer<Double>) throws {
        self.model = model
        self.options = options
        n = model.stateCount
        self.y = y
        paramValues = params
        rhsRunner = TapeRunner(model.rhsTape)
        jacRunner = TapeRunner(model.jacobianTape)
        rootRunner = TapeRunner(model.rootTape)
        guard let yp = N_VClone(y), let ids = N_VClone(y), let abstol = N_VClone(y),
            let matrix = SUNDenseMatrix(sunindextype(n), sunindextype(n), context)
        else {
            throw SimulationError.solverFailure(time: 0, reason: "could not allocate IDA's vectors", advice: "Out of memory?")
        }
        self.yp = yp
        self.ids = ids
        self.abstol = abstol
        self.matrix = matrix
        if options.kernels == .optimised { _ = cascade_fastops_install_dense_matrix(matrix) }
        guard let ls = options.kernels == .optimised ? cascade_dense_lu_new(y, matrix, context) : SUNLinSol_Dense(y, matrix, context) else {
            throw SimulationError.solverFailure(time: 0, reason: "could not create IDA's linear solver", advice: "Out of memory?")
        }
        linearSolver = ls
        let isDifferential = model.algebraicStates.map { !$0 }
        differential = .allocate(capacity: n)
        _ = differential.initialize(from: isDifferential)
        var slots: [Int] = []
        let n = model.stateCount
        for j in 0 ..< n {
            for idx in Int(model.jacobianColumnPointers[j]) ..< Int(model.jacobianColumnPointers[j + 1]) {
                slots.append(j * n + Int(model.jacobianRowIndices[idx]))
            }
        }
        jacobianSlots = .allocate(capacity: slots.count)
        _ = jacobianSlots.initialize(from: slots)
        let diagonal = (0 ..< n).filter { isDifferential[$0] }.map { $0 * n + $0 }
        diagonalSlots = .allocate(capacity: diagonal.count)
        _ = diagonalSlots.initialize(from: diagonal)
        let idp = N_VGetArrayPointer(ids)!, at = N_VGetArrayPointer(abstol)!
        for k in 0 ..< n {
            idp[k] = isDifferential[k] ? 1 : 0
            at[k] = options.absoluteTolerances[model.stateIds[k]] ?? options.absoluteTolerance
        }
        ida = IDACreate(context)
        guard ida != nil else { throw SimulationError.solverFailure(time: 0, reason: "could not create IDA memory", advice: "Out of memory?") }
    }

    deinit {
        if ida != nil { IDAFree(&ida) }
        SUNLinSolFree(linearSolver)
        SUNMatDestroy(matrix)
        N_VDestroy(yp)
        N_VDestroy(ids)
        N_VDestroy(abstol)
        differential.deallocate()
        jacobianSlots.deallocate()
        diagonalSlots.deallocate()
    }

    private func check(_ flag: Int32, _ what: String) throws {
        if flag < 0 {
            throw SimulationError.solverFailure(
                time: 0, reason: "\(what) failed (flag \(flag)) \(lastMessage)", advice: "This is a set-up problem inside Cascade; please report it.")
        }
    }

    /// Fills the delayed values at `t` into the parameters and `runner` (models with delays).
    @inline(__always)
    private func fillDelays(_ t: Double, _ yv: UnsafePointer<Double>, _ runner: TapeRunner) {
        guard let history = delayHistory else { return }
        history.fill(t, state: yv, params: paramValues)
        runner.loadVaryingParams(paramValues)
    }

    /// The derivatives IDA computed with the state (for the delay history's interpolation).
    var derivatives: UnsafeMutablePointer<Double> { N_VGetArrayPointer(yp)! }

    func setMaxStep(_ h: Double) throws { try check(IDASetMaxStep(ida, h), "IDASetMaxStep") }

    /// The right-hand side and Jacobian runners keep what depends on the parameters alone.
    func parametersChanged() {
        rhsRunner.load(params: paramValues)
        jacRunner.load(params: paramValues)
    }

    /// (Re)starts IDA at `t` from the simulator's state, made consistent: the algebraic states
    /// are solved for (the differential ones kept) and the derivatives computed. `toward` is a
    /// time after `t` (IDA scales its first steps by the distance).
    func start(at t: Double, toward: Double) throws {
        // The algebraic states first, by a damped Newton iteration of their own (IDACalcIC's
        // heuristics, tuned for small corrections, gave up on jumps such as y from 0.98 to 1.99
        // after an event); then the derivatives of the differential states as the rates give
        // them, which IDACalcIC checks and polishes.
        let solved = solveAlgebraic(at: t)
        let yv = N_VGetArrayPointer(y)!, ypv = N_VGetArrayPointer(yp)!
        fillDelays(t, yv, rhsRunner)
        rhsRunner.runVarying(time: t, states: yv)
        for k in 0 ..< n { ypv[k] = differential[k] ? rhsRunner.output(k) : 0 }
        if !initialised {
            let me = Unmanaged.passUnretained(self).toOpaque()
            try check(IDAInit(ida, cascadeResidual, t, y, yp), "IDAInit")
            try check(IDASetUserData(ida, me), "IDASetUserData")
            IDASetErrHandlerFn(ida, cascadeDAEErrorHandler, me)
            try check(IDASetLinearSolver(ida, linearSolver, matrix), "IDASetLinearSolver")
            try check(IDASetJacFn(ida, cascadeDAEJacobian), "IDASetJacFn")
            try check(IDASetId(ida, ids), "IDASetId")
            try check(IDASetMaxNumSteps(ida, options.maxSteps), "IDASetMaxNumSteps")
            try check(IDASetMaxOrd(ida, Int32(options.maxOrder)), "IDASetMaxOrd")
            if let h = options.maxStepSize { try check(IDASetMaxStep(ida, h), "IDASetMaxStep") }
            if let h = options.initialStepSize { try check(IDASetInitStep(ida, h), "IDASetInitStep") }
            try check(IDASVtolerances(ida, options.relativeTolerance, abstol), "IDASVtolerances")
            if !model.rootAtoms.isEmpty {
                try check(IDARootInit(ida, Int32(model.rootAtoms.count), cascadeDAERoots), "IDARootInit")
                IDASetNoInactiveRootWarn(ida)
            }
            initialised = true
        } else {
            accumulate()
            try check(IDAReInit(ida, t, y, yp), "IDAReInit")
        }
        countersPending = true
        nonFiniteState = nil
        let flag = IDACalcIC(ida, IDA_YA_YDP_INIT, toward > t ? toward : t + Swift.max(1, abs(t)))
        if flag < 0 && solved {
            // The values are consistent (the rules hold to working precision, the derivatives
            // are the rates): start from them.
            try check(IDAReInit(ida, t, y, yp), "IDAReInit")
            return
        }
        if flag < 0 {
            let unsolved = (0 ..< n).filter { !differential[$0] }.map { "'\(model.stateIds[$0])'" }
            throw SimulationError.solverFailure(
                time: t,
                reason:
                    "no values of \(unsolved.joined(separator: ", ")) satisfy the algebraic rules here (IDACalcIC flag \(flag)\(lastMessage.isEmpty ? "" : ": " + lastMessage))",
                advice: "Give the variables algebraic rules determine starting values near a solution, and check that the rules have one.")
        }
        try check(IDAGetConsistentIC(ida, y, yp), "IDAGetConsistentIC")
    }

    /// Solves the algebraic rules for the algebraic states, the differential ones fixed: Newton
    /// with the analytic Jacobian's algebraic block and step halving on the residual's norm.
    /// True when the steps became negligible (relative 1e-13, or a thousandth of the absolute
    /// tolerance).
    private func solveAlgebraic(at t: Double) -> Bool {
        let yv = N_VGetArrayPointer(y)!, at = N_VGetArrayPointer(abstol)!
        let algebraic = (0 ..< n).filter { !differential[$0] }
        let m = algebraic.count
        func residuals() -> [Double]? {
            fillDelays(t, yv, rhsRunner)
            rhsRunner.runVarying(time: t, states: yv)
            let g = algebraic.map { rhsRunner.output($0) }
            return g.allSatisfy(\.isFinite) ? g : nil
        }
        func norm(_ g: [Double]) -> Double { g.reduce(0) { $0 + $1 * $1 } }
        guard var g = residuals() else { return false }
        for _ in 0 ..< 100 {
            fillDelays(t, yv, jacRunner)
            jacRunner.runVarying(time: t, states: yv)
            var full = [Double](repeating: 0, count: n * n)  // column-major
            for e in 0 ..< jacobianSlots.count { full[jacobianSlots[e]] = jacRunner.output(e) }
            var a = [Double](repeating: 0, count: m * m)  // row-major
            for (i, row) in algebraic.enumerated() { for (j, col) in algebraic.enumerated() { a[i * m + j] = full[col * n + row] } }
            var b = g.map { -$0 }
            guard let delta = CompiledModel.solveDense(&a, &b, m) else { return false }
            let start = algebraic.map { yv[$0] }
            var lambda = 1.0
            var accepted = false
            while lambda > 1e-6 {
                for (i, k) in algebraic.enumerated() { yv[k] = start[i] + lambda * delta[i] }
                if let trial = residuals(), norm(trial) < norm(g) || norm(trial) == 0 {
                    g = trial
                    accepted = true
                    break
                }
                lambda *= 0.5
            }
            let negligible = algebraic.indices.allSatisfy { i in
                abs(lambda * delta[i]) <= Swift.max(1e-13 * abs(start[i]), 1e-3 * at[algebraic[i]])
            }
            if !accepted {
                for (i, k) in algebraic.enumerated() { yv[k] = start[i] }
                return negligible || norm(g) == 0
            }
            if negligible { return true }
        }
        return false
    }

    /// One call of IDA towards `target` (not past `tstop`); the flags are CVODE's (IDA's success,
    /// stop and root flags have the same values; failures are translated).
    func advance(toward target: Double, stop tstop: Double) throws -> (flag: Int32, time: Double) {
        var internalTime = 0.0
        IDAGetCurrentTime(ida, &internalTime)
        let limit = tstop.isFinite && tstop > internalTime ? tstop : Double.greatestFiniteMagnitude
        try check(IDASetStopTime(ida, limit), "IDASetStopTime")
        var tret = 0.0
        let flag = IDASolve(ida, target, &tret, y, yp, IDA_NORMAL)
        return (flag >= 0 ? flag : Self.cvodeFlag(flag), tret)
    }

    /// `advance` for models with delays: one internal step at a time, each passed to `record`
    /// (after it, `y` and the derivatives are those of the step).
    func advanceStepwise(from t: Double, toward target: Double, stop tstop: Double, record: (Double) -> Void) throws -> (
        flag: Int32, time: Double
    ) {
        let internalTime = currentTime
        if target > internalTime { try check(IDASetStopTime(ida, target), "IDASetStopTime") }
        if internalTime > t && internalTime >= target {
            // Already stepped past the target while reaching the last one: interpolate.
            var flag = IDAGetDky(ida, target, 0, y)
            if flag >= 0 { flag = IDAGetDky(ida, target, 1, yp) }
            return (flag < 0 ? Self.cvodeFlag(flag) : CV_SUCCESS, target)
        }
        var tret = t
        while true {
            let flag = IDASolve(ida, target, &tret, y, yp, IDA_ONE_STEP)
            if flag < 0 { return (Self.cvodeFlag(flag), tret) }
            record(tret)
            if flag == IDA_ROOT_RETURN { return (CV_ROOT_RETURN, tret) }
            if flag == IDA_TSTOP_RETURN || tret >= target {
                if tret == target { return (tret == tstop ? CV_TSTOP_RETURN : CV_SUCCESS, tret) }
                if tret > target {
                    var f = IDAGetDky(ida, target, 0, y)
                    if f >= 0 { f = IDAGetDky(ida, target, 1, yp) }
                    if f < 0 { return (Self.cvodeFlag(f), tret) }
                    tret = target
                }
                return (CV_SUCCESS, tret)
            }
        }
    }

    var currentTime: Double {
        var t = 0.0
        IDAGetCurrentTime(ida, &t)
        return t
    }

    func rootInfo(_ found: inout [Int32]) { IDAGetRootInfo(ida, &found) }

    /// Adds IDA's counters since the last `collect` to `statistics`.
    func collect(into statistics: inout SolverStatistics) {
        accumulate()
        statistics.steps += totals.steps
        statistics.rhsEvaluations += totals.rhsEvaluations
        statistics.jacobianEvaluations += totals.jacobianEvaluations
        statistics.linearSolverSetups += totals.linearSolverSetups
        statistics.errorTestFailures += totals.errorTestFailures
        statistics.nonlinearIterations += totals.nonlinearIterations
        statistics.nonlinearConvergenceFailures += totals.nonlinearConvergenceFailures
        statistics.rootFunctionEvaluations += totals.rootFunctionEvaluations
        totals = SolverStatistics()
    }

    /// Counters of earlier (re)starts (IDAReInit resets IDA's own).
    private var totals = SolverStatistics()

    private func accumulate() {
        guard countersPending else { return }
        countersPending = false
        var statistics = totals
        defer { totals = statistics }
        var v = 0
        IDAGetNumSteps(ida, &v); statistics.steps += v
        IDAGetNumResEvals(ida, &v); statistics.rhsEvaluations += v
        IDAGetNumJacEvals(ida, &v); statistics.jacobianEvaluations += v
        IDAGetNumLinSolvSetups(ida, &v); statistics.linearSolverSetups += v
        IDAGetNumErrTestFails(ida, &v); statistics.errorTestFailures += v
        IDAGetNumNonlinSolvIters(ida, &v); statistics.nonlinearIterations += v
        IDAGetNumNonlinSolvConvFails(ida, &v); statistics.nonlinearConvergenceFailures += v
        IDAGetNumGEvals(ida, &v); statistics.rootFunctionEvaluations += v
    }

    /// The CVODE flag meaning what an IDA failure flag means (for `Simulator.failure`).
    static func cvodeFlag(_ flag: Int32) -> Int32 {
        switch flag {
        case IDA_TOO_MUCH_WORK: return CV_TOO_MUCH_WORK
        case IDA_TOO_MUCH_ACC: return CV_TOO_MUCH_ACC
        case IDA_ERR_FAIL: return CV_ERR_FAILURE
        case IDA_CONV_FAIL: return CV_CONV_FAILURE
        case IDA_LSETUP_FAIL: return CV_LSETUP_FAIL
        case IDA_LSOLVE_FAIL: return CV_LSOLVE_FAIL
        case IDA_RES_FAIL, IDA_FIRST_RES_FAIL: return CV_RHSFUNC_FAIL
        case IDA_REP_RES_ERR: return CV_REPTD_RHSFUNC_ERR
        case IDA_RTFUNC_FAIL: return CV_RTFUNC_FAIL
        case IDA_ILL_INPUT: return CV_ILL_INPUT
        default: return flag
        }
    }

    // MARK: Callbacks

    func residual(_ t: Double, _ yv: UnsafeMutablePointer<Double>, _ ypv: UnsafeMutablePointer<Double>, _ r: UnsafeMutablePointer<Double>) -> Int32 {
        fillDelays(t, yv, rhsRunner)
        rhsRunner.runVarying(time: t, states: yv)
        rhsRunner.copyOutputs(to: r)
        for k in 0 ..< n {
            if differential[k] { r[k] -= ypv[k] }
            if !r[k].isFinite {
                nonFiniteState = k
                nonFiniteTime = t
                return 1  // recoverable: IDA retries with a smaller step
            }
        }
        return 0
    }

    func jacobian(_ t: Double, _ cj: Double, _ yv: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        SUNMatZero(jac)
        let data = SUNDenseMatrix_Data(jac)!
        fillDelays(t, yv, jacRunner)
        jacRunner.runVarying(time: t, states: yv)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        for d in diagonalSlots { data[d] -= cj }
        return 0
    }

    func roots(_ t: Double, _ yv: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Int32 {
        delayHistory?.fill(t, state: yv, params: paramValues)
        rootRunner.run(time: t, params: paramValues, states: yv)
        rootRunner.copyOutputs(to: g)
        return 0
    }
}

// MARK: - C callbacks (non-capturing; the solver passed through user_data)

func cascadeResidual(_ t: sunrealtype, _ y: N_Vector?, _ yp: N_Vector?, _ r: N_Vector?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<DAESolver>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.residual(t, N_VGetArrayPointer(y)!, N_VGetArrayPointer(yp)!, N_VGetArrayPointer(r)!)
    }
}

func cascadeDAEJacobian(
    _ t: sunrealtype, _ cj: sunrealtype, _ y: N_Vector?, _ yp: N_Vector?, _ r: N_Vector?, _ jac: SUNMatrix?,
    _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?
) -> Int32 {
    Unmanaged<DAESolver>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.jacobian(t, cj, N_VGetArrayPointer(y)!, jac!)
    }
}

func cascadeDAERoots(
    _ t: sunrealtype, _ y: N_Vector?, _ yp: N_Vector?, _ g: UnsafeMutablePointer<sunrealtype>?, _ ud: UnsafeMutableRawPointer?
) -> Int32 {
    Unmanaged<DAESolver>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.roots(t, N_VGetArrayPointer(y)!, g!)
    }
}

func cascadeDAEErrorHandler(
    _ code: Int32, _ module: UnsafePointer<CChar>?, _ function: UnsafePointer<CChar>?,
    _ msg: UnsafeMutablePointer<CChar>?, _ ud: UnsafeMutableRawPointer?
) {
    guard let ud else { return }
    Unmanaged<DAESolver>.fromOpaque(ud).takeUnretainedValue().lastMessage = msg.map { String(cString: $0) } ?? ""
}
