import CFastOps
import CKLU
import CSundials
import CascadeCore
import Foundation

/// Pre-equilibration for a sensitivity simulation: the steady state under `inputs` and its
/// sensitivities (implicit function theorem), then the main simulation from there. `directions`
/// has one entry per direction of the main simulation: dq/dθ for the pre-equilibration inputs.
public struct SensitivityPreequilibration: Sendable {
    public var inputs: [String: Double]
    public var directions: [[String: Double]]
    public var reinitialise: Set<String>
    public var options: SteadyStateOptions

    public init(
        inputs: [String: Double], directions: [[String: Double]], reinitialise: Set<String> = [],
        options: SteadyStateOptions = SteadyStateOptions()
    ) {
        self.inputs = inputs
        self.directions = directions
        self.reinitialise = reinitialise
        self.options = options
    }
}

/// Outputs and their sensitivities at the output times.
public struct SensitivityTrajectory: Sendable {
    public var times: [Double]
    /// Row-major: `values[time * columns + column]`.
    public var values: [Double]
    /// `sensitivities[(time * columns + column) * directions + direction]`: ∂value/∂θ.
    public var sensitivities: [Double]
    public var columns: Int
    public var directions: Int
    public var statistics: SolverStatistics
}

/// Forward sensitivity analysis with CVODES: integrates the model and ṡ = J·s + ∂f/∂p·s_p for
/// each direction θ in input space, with the derivatives compiled to tapes
/// (`SensitivityModel`), error control on the sensitivities, the sensitivity jump at event and
/// discontinuity crossings, and steady states differentiated by the implicit function theorem
/// (conservation laws replace one equation each, as in the Newton solve).
///
/// A direction is given as dq/dθ for the model inputs it moves (`inputs` ids: parameters,
/// compartment sizes, initial values); directions may move several inputs at once.
///
/// One simulator per thread. Events with delays are not supported (an error says so).
///
/// Why CVODES for everything: CVODES is CVODE with sensitivity analysis added, exporting the
/// same function names, so one binary can link only one of them. Without sensitivities enabled
/// CVODES takes exactly CVODE's steps: on switching, every PEtab benchmark simulation table,
/// `cascade check` and the SBML Test Suite output were byte-identical.
public final class SensitivitySimulator {
    public let model: SensitivityModel
    public let options: SolverOptions
    let compiled: CompiledModel
    let n: Int
    let vectorLength: Int
    let np: Int
    /// Used for steady states (same search as value-only simulations).
    let plain: Simulator

    private var context: SUNContext?
    private var cvode: UnsafeMutableRawPointer?
    private var y: N_Vector?
    private var abstol: N_Vector?
    private var matrix: SUNMatrix?
    private var linearSolver: SUNLinearSolver?
    private var usesSparse = false
    private var jacobianSlots: [Int] = []
    private var sparseColumnPointers: [Int64] = []
    private var sparseRowIndices: [Int64] = []

    /// Sensitivity vectors (one per direction) and the parameter sensitivities s_p (np × Ns).
    private var yS: UnsafeMutablePointer<N_Vector?>?
    private var ns = 0
    private var sp: [Double] = []
    let paramValues: UnsafeMutablePointer<Double>

    private let rhsRunner: TapeRunner
    private let jacRunner: TapeRunner
    private let dfdpRunner: TapeRunner
    private let rootRunner: TapeRunner
    private let discreteRunner: TapeRunner
    private let ddiscreteRunner: TapeRunner
    private let initRunner: TapeRunner
    private let dinitRunner: TapeRunner
    private let outputRunner: TapeRunner
    private let doutputRunner: TapeRunner
    var lastMessage = ""
    public private(set) var statistics = SolverStatistics()
    private let sensitivityIndex: SensitivityIndex

    public init(_ model: SensitivityModel, options: SolverOptions = SolverOptions()) throws {
        self.model = model
        self.options = options
        compiled = model.compiled
        n = compiled.stateCount
        vectorLength = max(n, 1)
        np = compiled.parameterIds.count
        plain = try Simulator(compiled, options: options)
        paramValues = .allocate(capacity: max(1, np))
        paramValues.initialize(repeating: 0, count: max(1, np))
        rhsRunner = TapeRunner(compiled.lockedRhsTape ?? compiled.rhsTape)
        jacRunner = TapeRunner(compiled.lockedJacobianTape ?? compiled.jacobianTape)
        dfdpRunner = TapeRunner(model.dfdpTape)
        rootRunner = TapeRunner(compiled.rootTape)
        discreteRunner = TapeRunner(compiled.discreteTape)
        ddiscreteRunner = TapeRunner(model.ddiscreteTape)
        initRunner = TapeRunner(compiled.initTape)
        dinitRunner = TapeRunner(model.dinitTape)
        outputRunner = TapeRunner(compiled.outputTape.pruned(to: model.outputPositions))
        doutputRunner = TapeRunner(model.doutputTape)
        sensitivityIndex = SensitivityIndex(compiled: compiled, model: model, jacobian: jacRunner, dfdp: dfdpRunner)
        if compiled.delayTape != nil {
            throw CompileError(element: "delay", "sensitivities of models with delay() are not supported")
        }
        if let e = compiled.events.first(where: { $0.delay != nil }) {
            throw CompileError(element: e.id, "sensitivities through events with a delay are not supported")
        }
        try setUp()
    }

    deinit {
        if cvode != nil { CVodeFree(&cvode) }
        if let ls = linearSolver { SUNLinSolFree(ls) }
        if let a = matrix { SUNMatDestroy(a) }
        if let v = y { N_VDestroy(v) }
        if let v = abstol { N_VDestroy(v) }
        if let s = yS { N_VDestroyVectorArray(s, Int32(ns)) }
        if context != nil { SUNContext_Free(&context) }
        paramValues.deallocate()
    }

    private func fail(_ what: String) -> SimulationError {
        .solverFailure(time: 0, reason: "\(what) failed \(lastMessage)", advice: "This is a set-up problem inside Cascade; please report it.")
    }

    private func setUp() throws {
        guard SUNContext_Create(nil, &context) == 0, let ctx = context else { throw fail("SUNContext_Create") }
        y = N_VNew_Serial(sunindextype(vectorLength), ctx)
        abstol = N_VNew_Serial(sunindextype(vectorLength), ctx)
        guard let y, let abstol else { throw fail("N_VNew_Serial") }
        if options.kernels == .optimised {
            // As the plain simulator: optimised, bit-identical vector operations (the sensitivity
            // vectors are clones of y and inherit them) and dense LU, compiled sparse-matrix
            // operations and AMD ordering for KLU.
            _ = cascade_fastops_install_nvector(y)
            _ = cascade_fastops_install_nvector(abstol)
            // CVODES works on the Ns sensitivity vectors through vector-array operations; without
            // the fused versions each is a loop of single-vector calls through SUNDIALS'
            // unoptimised dispatch (a quarter of a gradient of Boehm_JProteomeRes2014, 8 states).
            _ = cascade_fastops_enable_fused_ops(y, 1)
        }
        let nnz = compiled.jacobianNonZeros
        let perColumn = Double(nnz) / Double(max(1, n))
        let density = Double(nnz) / Double(max(1, n * n))
        switch options.linearSolver {
        case .dense: usesSparse = false
        case .sparse: usesSparse = n > 0
        case .automatic:
            usesSparse =
                n >= SolverOptions.sparseThreshold
                && (perColumn <= SolverOptions.sparseMaxPerColumn || density <= SolverOptions.sparseMaxDensity)
        }
        if usesSparse {
            var colPtr: [Int64] = [0], rows: [Int64] = []
            var slots = [Int](repeating: 0, count: nnz)
            for j in 0 ..< n {
                let lo = Int(compiled.jacobianColumnPointers[j]), hi = Int(compiled.jacobianColumnPointers[j + 1])
                var entries: [(row: Int, tape: Int)] = (lo ..< hi).map { (Int(compiled.jacobianRowIndices[$0]), $0) }
                if !entries.contains(where: { $0.row == j }) { entries.append((j, -1)) }
                entries.sort { $0.row < $1.row }
                for e in entries {
                    if e.tape >= 0 { slots[e.tape] = rows.count }
                    rows.append(Int64(e.row))
                }
                colPtr.append(Int64(rows.count))
            }
            jacobianSlots = slots
            sparseColumnPointers = colPtr
            sparseRowIndices = rows
            matrix = SUNSparseMatrix(sunindextype(n), sunindextype(n), sunindextype(rows.count), CSC_MAT, ctx)
            guard let matrix else { throw fail("SUNSparseMatrix") }
            if options.kernels == .optimised { SparseMatrixOps.install(matrix) }
            linearSolver = cascade_klu_new(y, matrix, ctx)
            if options.kernels == .optimised, let ls = linearSolver { _ = cascade_klu_set_ordering(ls, 0) }
        } else {
            for j in 0 ..< n {
                for idx in Int(compiled.jacobianColumnPointers[j]) ..< Int(compiled.jacobianColumnPointers[j + 1]) {
                    jacobianSlots.append(j * n + Int(compiled.jacobianRowIndices[idx]))
                }
            }
            matrix = SUNDenseMatrix(sunindextype(vectorLength), sunindextype(vectorLength), ctx)
            guard let matrix else { throw fail("SUNDenseMatrix") }
            if options.kernels == .optimised {
                _ = cascade_fastops_install_dense_matrix(matrix)
                linearSolver = cascade_dense_lu_new(y, matrix, ctx)
            } else {
                linearSolver = SUNLinSol_Dense(y, matrix, ctx)
            }
        }
        guard linearSolver != nil else { throw fail("linear solver") }
    }

    private func check(_ flag: Int32, _ what: String) throws {
        if flag < 0 { throw fail("\(what) (flag \(flag))") }
    }

    /// A fresh CVODES memory at `t` from `y` and `yS` (sensitivities when `ns` > 0).
    private func start(at t: Double) throws {
        if cvode != nil {
            try check(CVodeReInit(cvode, t, y), "CVodeReInit")
            if ns > 0 { try check(CVodeSensReInit(cvode, CV_STAGGERED, yS), "CVodeSensReInit") }
            return
        }
        cvode = CVodeCreate(CV_BDF, context)
        guard cvode != nil else { throw fail("CVodeCreate") }
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(CVodeInit(cvode, sensitivityModelRHS, t, y), "CVodeInit")
        try check(CVodeSetUserData(cvode, me), "CVodeSetUserData")
        CVodeSetErrHandlerFn(cvode, sensitivityErrorHandler, me)
        try check(CVodeSetLinearSolver(cvode, linearSolver, matrix), "CVodeSetLinearSolver")
        if usesSparse {
            try check(CVodeSetJacFn(cvode, sensitivitySparseJacobian), "CVodeSetJacFn")
        } else {
            try check(CVodeSetJacFn(cvode, sensitivityDenseJacobian), "CVodeSetJacFn")
        }
        try check(CVodeSetMaxNumSteps(cvode, options.maxSteps), "CVodeSetMaxNumSteps")
        try check(CVodeSetMaxOrd(cvode, Int32(options.maxOrder)), "CVodeSetMaxOrd")
        if let h = options.maxStepSize { try check(CVodeSetMaxStep(cvode, h), "CVodeSetMaxStep") }
        let at = N_VGetArrayPointer(abstol)!
        for k in 0 ..< vectorLength {
            at[k] = k < n ? (options.absoluteTolerances[compiled.stateIds[k]] ?? options.absoluteTolerance) : options.absoluteTolerance
        }
        try check(CVodeSVtolerances(cvode, options.relativeTolerance, abstol), "CVodeSVtolerances")
        if !compiled.rootAtoms.isEmpty {
            try check(CVodeRootInit(cvode, Int32(compiled.rootAtoms.count), sensitivityRoots), "CVodeRootInit")
            CVodeSetNoInactiveRootWarn(cvode)
        }
        if ns > 0 {
            try check(CVodeSensInit(cvode, Int32(ns), CV_STAGGERED, sensitivityRHS, yS), "CVodeSensInit")
            var atolS = [Double](repeating: options.absoluteTolerance, count: ns)
            try check(CVodeSensSStolerances(cvode, options.relativeTolerance, &atolS), "CVodeSensSStolerances")
            try check(CVodeSetSensErrCon(cvode, 1), "CVodeSetSensErrCon")
        }
    }

    private func freeIntegrator() {
        guard cvode != nil else { return }
        var v = 0
        CVodeGetNumSteps(cvode, &v); statistics.steps += v
        CVodeGetNumRhsEvals(cvode, &v); statistics.rhsEvaluations += v
        CVodeFree(&cvode)
        cvode = nil
    }

    private func allocateSensitivities(_ count: Int) {
        if count == ns, yS != nil { return }
        if let s = yS { N_VDestroyVectorArray(s, Int32(ns)) }
        yS = count > 0 ? N_VCloneVectorArray(Int32(count), y) : nil
        ns = count
    }

    @inline(__always) private func sens(_ d: Int) -> UnsafeMutablePointer<Double> { N_VGetArrayPointer(yS![d])! }

    // MARK: Callbacks

    private func parametersChanged() {
        rhsRunner.load(params: paramValues)
        jacRunner.load(params: paramValues)
        dfdpRunner.load(params: paramValues)
    }

    func evaluateRHS(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ ydot: UnsafeMutablePointer<Double>) -> Int32 {
        if n == 0 { ydot[0] = 0; return 0 }
        rhsRunner.runVarying(time: t, states: yp)
        rhsRunner.copyOutputs(to: ydot)
        for k in 0 ..< n where !ydot[k].isFinite { return 1 }
        return 0
    }

    func evaluateSensitivityRHS(
        _ t: Double, _ yp: UnsafeMutablePointer<Double>, _ s: UnsafeMutablePointer<N_Vector?>,
        _ sdot: UnsafeMutablePointer<N_Vector?>
    ) -> Int32 {
        if n == 0 {
            for d in 0 ..< ns { N_VGetArrayPointer(sdot[d])![0] = 0 }
            return 0
        }
        jacRunner.runVarying(time: t, states: yp)
        dfdpRunner.runVarying(time: t, states: yp)
        let jr = jacRunner.registers, fr = dfdpRunner.registers
        let n = self.n, np = self.np
        // Index tables resolved once (`sensitivityIndex`): no conversions or array accesses
        // with their checks in the loops. The sums run in the same order as before.
        let ix = sensitivityIndex
        let cols = ix.jacobianColumns, rows = ix.jacobianRows, jslots = ix.jacobianSlots
        let fpRows = ix.dfdpRows, fpCols = ix.dfdpColumns, fslots = ix.dfdpSlots
        let fpCount = ix.dfdpCount
        return sp.withUnsafeBufferPointer { spb -> Int32 in
            let spp = spb.baseAddress
            for d in 0 ..< ns {
                let sv = N_VGetArrayPointer(s[d])!, out = N_VGetArrayPointer(sdot[d])!
                out.update(repeating: 0, count: n)
                for j in 0 ..< n {
                    let sj = sv[j]
                    if sj == 0 { continue }
                    for e in cols[j] ..< cols[j + 1] { out[rows[e]] += jr[jslots[e]] * sj }
                }
                if let spp {
                    let w0 = spp + d * np
                    for e in 0 ..< fpCount {
                        let w = w0[fpCols[e]]
                        if w != 0 { out[fpRows[e]] += fr[fslots[e]] * w }
                    }
                }
                for i in 0 ..< n where !out[i].isFinite { return 1 }
            }
            return 0
        }
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

    /// Simulates from `start` through `times` (ascending; `inf` last asks for the steady state
    /// reached from the last finite time) and returns the model's output columns (those of
    /// `SensitivityModel.columns` at the positions `outputs`) with their sensitivities along
    /// each direction (dq/dθ by input id).
    public func simulate(
        times: [Double], outputs: [Int], inputs: [String: Double], directions: [[String: Double]],
        start: Double = 0, preequilibration: SensitivityPreequilibration? = nil,
        steadyState steadyOptions: SteadyStateOptions = SteadyStateOptions()
    ) throws -> SensitivityTrajectory {
        statistics = SolverStatistics()
        let finite = times.filter(\.isFinite)
        let infinite = times.count - finite.count
        guard times.suffix(infinite).allSatisfy({ $0 == .infinity }) else {
            throw SimulationError.invalidTimes("only +inf may follow the finite output times")
        }
        let nd = directions.count
        freeIntegrator()
        allocateSensitivities(nd)
        sp = [Double](repeating: 0, count: np * nd)

        // Initial values and their sensitivities.
        try initialise(inputs: inputs, directions: directions, time: start)
        if let pre = preequilibration {
            guard pre.directions.count == nd else {
                throw SimulationError.invalidTimes("pre-equilibration has \(pre.directions.count) directions, the simulation \(nd)")
            }
            let main = (states: currentStates(), s: currentSensitivities(), p: Array(UnsafeBufferPointer(start: paramValues, count: np)), sp: sp)
            try initialise(inputs: pre.inputs, directions: pre.directions, time: start)
            let s0 = currentSensitivities()
            let ss = try plain.steadyState(inputs: pre.inputs, start: start, options: pre.options)
            statistics.steps += ss.steps
            let sss =
                try steadyStateSensitivities(
                    time: ss.time, states: ss.states, parameters: ss.parameters,
                    start: s0, sp: sp, nd: nd)
                ?? integratedSteadyStateSensitivities(start: start, horizon: ss.time, options: pre.options, nd: nd)
            // The main simulation: its own parameters; states from the steady state except those
            // the simulation condition re-initialises.
            let yp = N_VGetArrayPointer(y)!
            for k in 0 ..< n {
                let keep = pre.reinitialise.contains(compiled.stateIds[k])
                yp[k] = keep ? main.states[k] : ss.states[k]
                for d in 0 ..< nd { sens(d)[k] = keep ? main.s[d][k] : sss[k * nd + d] }
            }
            for j in 0 ..< np { paramValues[j] = main.p[j] }
            sp = main.sp
            parametersChanged()
        }

        let ncol = outputs.count
        var values: [Double] = []
        var sensitivities: [Double] = []
        values.reserveCapacity(times.count * ncol)
        sensitivities.reserveCapacity(times.count * ncol * nd)
        let wanted = outputs
        func record(_ t: Double) {
            let yp = N_VGetArrayPointer(y)!
            outputRunner.run(time: t, params: paramValues, states: yp)
            doutputRunner.run(time: t, params: paramValues, states: yp)
            var block = [Double](repeating: 0, count: model.columns.count * nd)
            let rows = model.doutput.rows, cols = model.doutput.columns
            for e in 0 ..< rows.count {
                let v = doutputRunner.output(e)
                if v == 0 { continue }
                let c = Int(rows[e]), col = Int(cols[e])
                for d in 0 ..< nd {
                    let w = col < n ? sens(d)[col] : sp[d * np + col - n]
                    block[c * nd + d] += v * w
                }
            }
            for c in wanted {
                values.append(outputRunner.output(c))
                for d in 0 ..< nd { sensitivities.append(block[c * nd + d]) }
            }
        }
        try integrate(times: finite, start: start, record: record)

        if infinite > 0 {
            let last = finite.last ?? start
            let ss = try plain.steadyState(inputs: inputs, start: last, initialStates: currentStates(), options: steadyOptions)
            statistics.steps += ss.steps
            let sss =
                try steadyStateSensitivities(
                    time: ss.time, states: ss.states, parameters: ss.parameters,
                    start: currentSensitivities(), sp: sp, nd: nd)
                ?? integratedSteadyStateSensitivities(start: last, horizon: ss.time, options: steadyOptions, nd: nd)
            let yp = N_VGetArrayPointer(y)!
            for k in 0 ..< n {
                yp[k] = ss.states[k]
                for d in 0 ..< nd { sens(d)[k] = sss[k * nd + d] }
            }
            for j in 0 ..< np { paramValues[j] = ss.parameters[j] }
            for _ in 0 ..< infinite { record(ss.time) }
        }
        freeIntegrator()
        return SensitivityTrajectory(
            times: times, values: values, sensitivities: sensitivities, columns: ncol,
            directions: nd, statistics: statistics)
    }

    private func currentStates() -> [Double] {
        let yp = N_VGetArrayPointer(y)!
        return (0 ..< n).map { yp[$0] }
    }

    private func currentSensitivities() -> [[Double]] {
        (0 ..< ns).map { d in (0 ..< n).map { sens(d)[$0] } }
    }

    /// Sets y, p, s and s_p from the initial values under `inputs`.
    private func initialise(inputs: [String: Double], directions: [[String: Double]], time: Double) throws {
        var q = compiled.nominalInputs
        for (id, v) in inputs {
            guard let i = compiled.inputPosition(id) else { throw SimulationError.unknownInput(id) }
            guard v.isFinite else { throw SimulationError.invalidInput(id: id, value: v, reason: "values must be finite") }
            q[i] = v
        }
        var w = [Double](repeating: 0, count: compiled.inputIds.count * ns)
        for (d, dir) in directions.enumerated() {
            for (id, v) in dir {
                guard let i = compiled.inputPosition(id) else { throw SimulationError.unknownInput(id) }
                w[i * ns + d] += v
            }
        }
        q.withUnsafeBufferPointer { qp in
            initRunner.run(time: time, params: nil, states: nil, nominals: qp.baseAddress)
            dinitRunner.run(time: time, params: nil, states: nil, nominals: qp.baseAddress)
        }
        let yp = N_VGetArrayPointer(y)!
        for k in 0 ..< n { yp[k] = initRunner.output(k) }
        if n == 0 { yp[0] = 0 }
        for j in 0 ..< np { paramValues[j] = initRunner.output(n + j) }
        for d in 0 ..< ns { for k in 0 ..< vectorLength { sens(d)[k] = 0 } }
        for e in 0 ..< sp.count { sp[e] = 0 }
        let rows = model.dinit.rows, cols = model.dinit.columns
        for e in 0 ..< rows.count {
            let v = dinitRunner.output(e)
            if v == 0 { continue }
            let r = Int(rows[e]), i = Int(cols[e])
            for d in 0 ..< ns {
                let wi = w[i * ns + d]
                if wi == 0 { continue }
                if r < n { sens(d)[r] += v * wi } else { sp[d * np + r - n] += v * wi }
            }
        }
        parametersChanged()
    }

    /// ds/dθ at a steady state: J·s = −∂f/∂p·s_p, with the rows of one member per conservation
    /// law replaced by the law (its total's sensitivity is that of `start`). Returns n × nd, or
    /// nil when that matrix is singular (a conserved quantity the analysis does not find).
    private func steadyStateSensitivities(
        time: Double, states: [Double], parameters: [Double], start: [[Double]],
        sp: [Double], nd: Int
    ) throws -> [Double]? {
        if nd == 0 || n == 0 { return [] }
        let jac = compiled.jacobian(time: time, states: states, parameters: parameters)
        if !compiled.lockedAtoms.isEmpty {
            // The branches taken at the steady state (the Jacobian above compares afresh).
            discreteRunner.run(time: time, params: parameters, states: states)
            var run = EventState(model: compiled)
            run.initialise(atoms: discreteRunner, model: compiled)
            lockBranches(run)
        }
        dfdpRunner.run(time: time, params: parameters, states: states)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for c in 0 ..< n { a[i * n + c] = jac[i][c] } }
        var b = [Double](repeating: 0, count: n * nd)
        let fpRows = model.dfdp.rows, fpCols = model.dfdp.columns
        for e in 0 ..< fpRows.count {
            let v = dfdpRunner.output(e)
            for d in 0 ..< nd { b[Int(fpRows[e]) * nd + d] -= v * sp[d * np + Int(fpCols[e])] }
        }
        let index = Dictionary(uniqueKeysWithValues: compiled.stateIds.enumerated().map { ($1, $0) })
        var pivots = Set<Int>()
        for law in compiled.conservationLaws {
            let terms = law.terms.compactMap { t in index[t.species].map { ($0, Double(t.coefficient)) } }
            guard terms.count == law.terms.count,
                let pivot = terms.map(\.0).filter({ !pivots.contains($0) }).max(by: { abs(states[$0]) < abs(states[$1]) })
            else { continue }
            pivots.insert(pivot)
            for c in 0 ..< n { a[pivot * n + c] = 0 }
            for (c, w) in terms { a[pivot * n + c] = w }
            for d in 0 ..< nd { b[pivot * nd + d] = terms.reduce(0) { $0 + $1.1 * start[d][$1.0] } }
        }
        return Self.solve(&a, &b, n, nd)
    }

    /// ds/dθ at a steady state by integrating the state and its sensitivities together from the
    /// current point until ṡ meets the steady-state criterion (|ṡ| ≤ atol + rtol·|s| per unit
    /// time), first over `horizon` (where the state became steady), then ten times longer each
    /// time: for steady states whose Jacobian is singular. Returns n × nd.
    private func integratedSteadyStateSensitivities(
        start: Double, horizon: Double, options: SteadyStateOptions,
        nd: Int
    ) throws -> [Double] {
        if nd == 0 || n == 0 { return [] }
        guard let slopes = N_VCloneVectorArray(Int32(nd), y) else { throw fail("N_VCloneVectorArray") }
        defer { N_VDestroyVectorArray(slopes, Int32(nd)) }
        var t = start
        var span = Swift.max(horizon - start, options.firstCheck)
        while true {
            freeIntegrator()
            try integrate(times: [t + span], start: t, record: { _ in })
            t += span
            let yp = N_VGetArrayPointer(y)!
            _ = evaluateSensitivityRHS(t, yp, yS!, slopes)
            var worst = 0.0
            for d in 0 ..< nd {
                let sv = sens(d), dv = N_VGetArrayPointer(slopes[d])!
                for k in 0 ..< n {
                    let r = abs(dv[k]) / (options.absoluteTolerance + options.relativeTolerance * abs(sv[k]))
                    worst = r.isNaN ? .infinity : Swift.max(worst, r)
                }
            }
            if worst <= 1 { break }
            if t - start > options.maxTime {
                throw SimulationError.solverFailure(
                    time: t, reason: "the sensitivities reached no steady state (the Jacobian at the steady state is singular)",
                    advice: "The steady state may depend on where it starts in a way the model does not state; check conserved quantities.")
            }
            span *= 10
        }
        freeIntegrator()
        return (0 ..< n).flatMap { k in (0 ..< nd).map { d in sens(d)[k] } }
    }

    /// Solves a·X = B (a row-major n×n, B n×m row-major) by LU with partial pivoting.
    static func solve(_ a: inout [Double], _ b: inout [Double], _ n: Int, _ m: Int) -> [Double]? {
        let norm = a.map(abs).max() ?? 0
        guard norm > 0, norm.isFinite else { return nil }
        let tiny = norm * Double(n) * Double.ulpOfOne
        for col in 0 ..< n {
            var p = col
            var best = abs(a[col * n + col])
            for r in col + 1 ..< n where abs(a[r * n + col]) > best { best = abs(a[r * n + col]); p = r }
            guard best > tiny else { return nil }
            if p != col {
                for c in 0 ..< n { a.swapAt(col * n + c, p * n + c) }
                for c in 0 ..< m { b.swapAt(col * m + c, p * m + c) }
            }
            let d = a[col * n + col]
            for r in col + 1 ..< n {
                let f = a[r * n + col] / d
                if f == 0 { continue }
                for c in col ..< n { a[r * n + c] -= f * a[col * n + c] }
                for c in 0 ..< m { b[r * m + c] -= f * b[col * m + c] }
            }
        }
        var x = [Double](repeating: 0, count: n * m)
        for r in stride(from: n - 1, through: 0, by: -1) {
            for c in 0 ..< m {
                var s = b[r * m + c]
                for k in r + 1 ..< n { s -= a[r * n + k] * x[k * m + c] }
                x[r * m + c] = s / a[r * n + r]
            }
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// The integration loop: events, discontinuities and outputs, as `Simulator.simulate`, with
    /// the sensitivities carried through every instant.
    private func integrate(times: [Double], start t0: Double, record: (Double) -> Void) throws {
        var run = EventState(model: compiled)
        if case .seeded(let seed) = options.eventTieBreak { run.random = SplitMix64(seed: seed) }
        var t = t0
        evaluateDiscrete(t)
        run.initialise(atoms: discreteRunner, model: compiled)
        lockBranches(run)
        try processInstant(&run, t: t, crossed: [:])
        var next = 0
        while next < times.count && times[next] <= t { record(times[next]); next += 1 }
        var needRestart = true
        var rootsFound = [Int32](repeating: 0, count: max(1, compiled.rootAtoms.count))
        var continuedFromRoot = false
        let timeAtoms = compiled.timeAtoms, atomCount = compiled.atomOps.count
        while next < times.count {
            let tout = times[next]
            var tstop = Double.infinity
            var crossings: [(atom: Int, time: Double)] = []
            if !timeAtoms.isEmpty {
                evaluateDiscrete(t)
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
            let stopAtoms = crossings.filter { $0.time <= tstop + sameInstant }.map(\.atom)
            if needRestart {
                try start(at: t)
                needRestart = false
            }
            var internalTime = t
            CVodeGetCurrentTime(cvode, &internalTime)
            let limit = tstop.isFinite && tstop > internalTime ? tstop : Double.greatestFiniteMagnitude
            try check(CVodeSetStopTime(cvode, limit), "CVodeSetStopTime")
            var tret = t
            let target = Swift.min(tout, tstop)
            let flag = CVode(cvode, target, y, &tret, CV_NORMAL)
            if flag == CV_ILL_INPUT && continuedFromRoot {
                continuedFromRoot = false
                needRestart = true
                continue
            }
            if flag < 0 { throw plain.failure(flag, time: tret) }
            if ns > 0 {
                var ts = tret
                try check(CVodeGetSens(cvode, &ts, yS), "CVodeGetSens")
            }
            t = tret
            var crossed: [Int: Double] = [:]
            if flag == CV_ROOT_RETURN {
                CVodeGetRootInfo(cvode, &rootsFound)
                for (k, a) in compiled.rootAtoms.enumerated() where rootsFound[k] != 0 { crossed[a] = Double(rootsFound[k]) }
            }
            if t == tstop {
                evaluateDiscrete(t)
                for (k, a) in timeAtoms.enumerated() where stopAtoms.contains(a) {
                    crossed[a] = discreteRunner.output(atomCount + k) > 0 ? 1 : -1
                }
            }
            if !crossed.isEmpty || run.hasDue(at: t) {
                let changes = run.changes
                let discontinuity = crossed.keys.contains(where: { compiled.discontinuityAtoms.contains($0) })
                try processInstant(&run, t: t, crossed: crossed, discontinuity: discontinuity)
                if run.changes != changes || discontinuity { needRestart = true }
            }
            continuedFromRoot = flag == CV_ROOT_RETURN && !needRestart
            while next < times.count && times[next] <= t { record(times[next]); next += 1 }
        }
    }

    /// Sets the branch flags of the locked right-hand side, Jacobian and ∂f/∂p from the atoms.
    private func lockBranches(_ run: EventState) { run.lockBranches(of: rhsRunner, jacRunner, dfdpRunner, model: compiled) }

    private func evaluateDiscrete(_ t: Double) {
        discreteRunner.run(time: t, params: paramValues, states: N_VGetArrayPointer(y)!)
    }

    /// The rows of `ddiscrete` for one discrete output, as (column, value) at the current point.
    private func discreteDerivatives(row: Int) -> [(Int, Double)] {
        var out: [(Int, Double)] = []
        let rows = model.ddiscrete.rows, cols = model.ddiscrete.columns
        for e in 0 ..< rows.count where Int(rows[e]) == row { out.append((Int(cols[e]), ddiscreteRunner.output(e))) }
        return out
    }

    /// dy/dt at the current parameters, at (t, y) or, with `nudge` ≠ 0, at (t + nudge, y + f·nudge):
    /// the one-sided limits at a discontinuity of the right-hand side.
    private func rhs(_ t: Double, _ yp: UnsafeMutablePointer<Double>, nudge: Double = 0) -> [Double] {
        var f = [Double](repeating: 0, count: vectorLength)
        f.withUnsafeMutableBufferPointer { _ = evaluateRHS(t, yp, $0.baseAddress!) }
        if nudge == 0 { return f }
        var shifted = (0 ..< vectorLength).map { yp[$0] + f[$0] * nudge }
        shifted.withUnsafeMutableBufferPointer { sp in
            f.withUnsafeMutableBufferPointer { _ = evaluateRHS(t + nudge, sp.baseAddress!, $0.baseAddress!) }
        }
        return f
    }

    /// Events at one instant, with the sensitivities' jump. `crossed` holds the atoms whose
    /// crossing made this instant (empty at the start, where the time does not move with θ);
    /// `discontinuity` says the right-hand side itself jumps here.
    private func processInstant(_ run: inout EventState, t: Double, crossed: [Int: Double], discontinuity: Bool = false) throws {
        evaluateDiscrete(t)
        run.updateAtoms(discreteRunner, model: compiled, time: t, crossed: crossed)
        try run.updateTriggers(discreteRunner, model: compiled, time: t)
        let yp = N_VGetArrayPointer(y)!
        let delta = discontinuity ? 1e-10 * Swift.max(1, abs(t)) : 0
        // dτ/dθ of the crossing, and ŝ = s + f⁻·dτ.
        var dtau = [Double](repeating: 0, count: ns)
        var moving = false
        if ns > 0, let atom = crossed.keys.sorted().first {
            let fMinus = rhs(t, yp, nudge: -delta)
            ddiscreteRunner.run(time: t, params: paramValues, states: yp)
            let g = discreteDerivatives(row: model.assignmentCount + atom)
            var denominator = 0.0
            for (c, v) in g {
                if c < n { denominator += v * fMinus[c] } else if c == n + np { denominator += v }
            }
            if denominator != 0 && denominator.isFinite {
                for d in 0 ..< ns {
                    var num = 0.0
                    for (c, v) in g {
                        if c < n { num += v * sens(d)[c] } else if c < n + np { num += v * sp[d * np + c - n] }
                    }
                    dtau[d] = -num / denominator
                    if dtau[d] != 0 { moving = true }
                }
            }
            if moving {
                for d in 0 ..< ns where dtau[d] != 0 { for k in 0 ..< n { sens(d)[k] += fMinus[k] * dtau[d] } }
            }
        }
        var executedHere = 0
        while let (eventIndex, stored) = run.popReady(at: t, discrete: discreteRunner, model: compiled) {
            executedHere += 1
            if executedHere > options.maxEventsPerInstant {
                throw SimulationError.eventLoop(time: t, events: [compiled.events[eventIndex].id])
            }
            let e = compiled.events[eventIndex]
            let values = stored ?? e.assignments.map { discreteRunner.output($0.value) }
            // Sensitivities of the assigned values, from the point before any assignment.
            var assigned: [[Double]] = []
            if ns > 0 {
                ddiscreteRunner.run(time: t, params: paramValues, states: yp)
                for a in e.assignments {
                    let g = discreteDerivatives(row: a.value - compiled.symbolic.eventValueBase)
                    assigned.append(
                        (0 ..< ns).map { d in
                            var s = 0.0
                            for (c, v) in g {
                                if c < n { s += v * sens(d)[c] } else if c < n + np { s += v * sp[d * np + c - n] } else { s += v * dtau[d] }
                            }
                            return s
                        })
                }
            }
            var assignedParameter = false
            for (i, (a, v)) in zip(e.assignments, values).enumerated() {
                if !a.rescale.isEmpty {
                    throw CompileError(element: e.id, "sensitivities through events that resize a compartment holding concentration species are not supported")
                }
                let scaled = v * discreteRunner.output(a.scale)
                switch a.target {
                case .state(let k):
                    yp[k] = scaled
                    for d in 0 ..< ns { sens(d)[k] = assigned[i][d] }
                case .param(let j):
                    paramValues[j] = scaled
                    assignedParameter = true
                    for d in 0 ..< ns { sp[d * np + j] = assigned[i][d] }
                }
            }
            if assignedParameter { parametersChanged() }
            run.executed += 1
            run.changes += e.assignments.count
            evaluateDiscrete(t)
            run.updateAtoms(discreteRunner, model: compiled, time: t, crossed: [:])
            try run.updateTriggers(discreteRunner, model: compiled, time: t)
        }
        // f⁻ above used the branches held before this instant; f⁺ uses those after it.
        lockBranches(run)
        if moving {
            let fPlus = rhs(t, yp, nudge: delta)
            for d in 0 ..< ns where dtau[d] != 0 { for k in 0 ..< n { sens(d)[k] -= fPlus[k] * dtau[d] } }
        }
    }
}

/// The sparsity of J and ∂f/∂p with each entry's register in its tape runner, as plain
/// integers in memory owned here, for the sensitivity right-hand side's inner loops.
private final class SensitivityIndex {
    let jacobianColumns: UnsafeMutablePointer<Int>
    let jacobianRows: UnsafeMutablePointer<Int>
    let jacobianSlots: UnsafeMutablePointer<Int>
    let dfdpRows: UnsafeMutablePointer<Int>
    let dfdpColumns: UnsafeMutablePointer<Int>
    let dfdpSlots: UnsafeMutablePointer<Int>
    let dfdpCount: Int

    init(compiled: CompiledModel, model: SensitivityModel, jacobian: TapeRunner, dfdp: TapeRunner) {
        func table(_ values: [Int]) -> UnsafeMutablePointer<Int> {
            let p = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(1, values.count))
            p.initialize(repeating: 0, count: Swift.max(1, values.count))
            for (i, v) in values.enumerated() { p[i] = v }
            return p
        }
        jacobianColumns = table(compiled.jacobianColumnPointers.map { Int($0) })
        jacobianRows = table(compiled.jacobianRowIndices.map { Int($0) })
        jacobianSlots = table((0 ..< compiled.jacobianRowIndices.count).map { Int(jacobian.outputSlots[$0]) })
        dfdpRows = table(model.dfdp.rows.map { Int($0) })
        dfdpColumns = table(model.dfdp.columns.map { Int($0) })
        dfdpSlots = table((0 ..< model.dfdp.count).map { Int(dfdp.outputSlots[$0]) })
        dfdpCount = model.dfdp.count
    }

    deinit {
        for p in [jacobianColumns, jacobianRows, jacobianSlots, dfdpRows, dfdpColumns, dfdpSlots] { p.deallocate() }
    }
}

// MARK: - C callbacks

private func sensitivityModelRHS(_ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<SensitivitySimulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRHS(t, N_VGetArrayPointer(y)!, N_VGetArrayPointer(ydot)!)
    }
}

private func sensitivityRHS(
    _ ns: Int32, _ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?, _ yS: UnsafeMutablePointer<N_Vector?>?,
    _ ySdot: UnsafeMutablePointer<N_Vector?>?, _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?,
    _ t2: N_Vector?
) -> Int32 {
    Unmanaged<SensitivitySimulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateSensitivityRHS(t, N_VGetArrayPointer(y)!, yS!, ySdot!)
    }
}

private func sensitivityDenseJacobian(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
    _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?
) -> Int32 {
    Unmanaged<SensitivitySimulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateDenseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

private func sensitivitySparseJacobian(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
    _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?
) -> Int32 {
    Unmanaged<SensitivitySimulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateSparseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

private func sensitivityRoots(_ t: sunrealtype, _ y: N_Vector?, _ g: UnsafeMutablePointer<sunrealtype>?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<SensitivitySimulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRoots(t, N_VGetArrayPointer(y)!, g!)
    }
}

private func sensitivityErrorHandler(
    _ code: Int32, _ module: UnsafePointer<CChar>?, _ function: UnsafePointer<CChar>?,
    _ msg: UnsafeMutablePointer<CChar>?, _ ud: UnsafeMutableRawPointer?
) {
    guard let ud else { return }
    Unmanaged<SensitivitySimulator>.fromOpaque(ud).takeUnretainedValue().lastMessage = msg.map { String(cString: $0) } ?? ""
}
