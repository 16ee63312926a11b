// Tests for the CFastOps target: optimised serial N_Vector operations, dense SUNMatrix
// operations and dense LU solver for SUNDIALS 6.4.1. The fast versions must give results
// bit-identical to Debian's stock (unoptimised) SUNDIALS implementations.
//
// These tests drive CVODE's C API directly.

import CFastOps
import CSundials
import CascadeSolver
import Foundation
import XCTest

// MARK: - Small helpers

private func bits(_ xs: [Double]) -> [UInt64] { xs.map(\.bitPattern) }

/// A slice of vectors as the optional-element array that N_Vector* parameters take.
private func arr(_ s: ArraySlice<N_Vector>) -> [N_Vector?] { s.map { $0 } }

/// Uniform numbers in [-1, 1) from the project's seedable generator, so failures are reproducible.
extension SplitMix64 {
    fileprivate mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-52 - 1.0 }
}

private func makeContext() -> SUNContext {
    var ctx: SUNContext? = nil
    precondition(SUNContext_Create(nil, &ctx) == 0 && ctx != nil, "SUNContext_Create failed")
    return ctx!
}

private func values(_ v: N_Vector) -> [Double] {
    let n = Int(N_VGetLength(v))
    let p = N_VGetArrayPointer(v)!
    return (0 ..< n).map { p[$0] }
}

private func setValues(_ v: N_Vector, _ xs: [Double]) {
    let p = N_VGetArrayPointer(v)!
    for (i, x) in xs.enumerated() { p[i] = x }
}

private func matrixValues(_ A: SUNMatrix) -> [Double] {
    let n = Int(SUNDenseMatrix_LData(A))
    let p = SUNDenseMatrix_Data(A)!
    return (0 ..< n).map { p[$0] }
}

/// An N_Vector** table (nsum rows of nvec vectors) for the multi-array ops.
private final class PointerTable {
    let table: UnsafeMutablePointer<UnsafeMutablePointer<N_Vector?>?>
    let nsum: Int
    init(_ V: [N_Vector], start: Int, nvec: Int, nsum: Int) {
        self.nsum = nsum
        table = .allocate(capacity: nsum)
        for j in 0 ..< nsum {
            let row = UnsafeMutablePointer<N_Vector?>.allocate(capacity: nvec)
            for i in 0 ..< nvec { row[i] = V[start + j * nvec + i] }
            table[j] = row
        }
    }
    deinit {
        for j in 0 ..< nsum { table[j]!.deallocate() }
        table.deallocate()
    }
}

/// Which implementation a CVODE run uses.
private enum Ops: CustomStringConvertible {
    /// Debian's N_VNew_Serial ops, SUNDenseMatrix ops and SUNLinSol_Dense.
    case stock
    /// cascade_fastops_install_nvector / _install_dense_matrix and cascade_dense_lu_new.
    case fast
    var description: String { self == .stock ? "stock" : "fast" }
}

/// The result of one CVODE run: every output (time and state, in order, including root
/// returns), root information and the integrator statistics.
private struct RunRecord {
    var times: [Double] = []
    var states: [[Double]] = []
    var roots: [[Int32]] = []
    var counters: [String: Int] = [:]
    var reals: [String: Double] = [:]

    /// Everything as raw bits, for bit-identity comparisons.
    var fingerprint: [UInt64] {
        var out = bits(times) + states.flatMap(bits)
        out += roots.flatMap { $0.map { UInt64(bitPattern: Int64($0)) } }
        out += counters.keys.sorted().map { UInt64(bitPattern: Int64(counters[$0]!)) }
        out += reals.keys.sorted().map { reals[$0]!.bitPattern }
        return out
    }
}

/// Owns one CVODE problem set-up (context, vectors, matrix, solver, CVODE memory).
private final class CVodeSetup {
    let ctx: SUNContext
    let y: N_Vector
    let abstol: N_Vector
    let A: SUNMatrix
    let LS: SUNLinearSolver
    var mem: UnsafeMutableRawPointer?

    init(
        ops: Ops, y0: [Double], rtol: Double, atol: [Double], rhs: CVRhsFn, jac: CVLsJacFn,
        userData: UnsafeMutableRawPointer? = nil, nRoots: Int32 = 0, roots: CVRootFn? = nil,
        fused: Bool = false
    ) {
        let n = sunindextype(y0.count)
        ctx = makeContext()
        y = N_VNew_Serial(n, ctx)
        abstol = N_VNew_Serial(n, ctx)
        if fused {
            precondition(N_VEnableFusedOps_Serial(y, 1) == 0)
        }
        if ops == .fast {
            precondition(cascade_fastops_install_nvector(y) == 0)
            precondition(cascade_fastops_install_nvector(abstol) == 0)
        }
        setValues(y, y0)
        setValues(abstol, atol)
        A = SUNDenseMatrix(n, n, ctx)
        if ops == .fast {
            precondition(cascade_fastops_install_dense_matrix(A) == 0)
            LS = cascade_dense_lu_new(y, A, ctx)
        } else {
            LS = SUNLinSol_Dense(y, A, ctx)
        }
        mem = CVodeCreate(CV_BDF, ctx)
        precondition(mem != nil)
        precondition(CVodeInit(mem, rhs, 0.0, y) == CV_SUCCESS)
        precondition(CVodeSVtolerances(mem, rtol, abstol) == CV_SUCCESS)
        if let userData { precondition(CVodeSetUserData(mem, userData) == CV_SUCCESS) }
        if let roots { precondition(CVodeRootInit(mem, nRoots, roots) == CV_SUCCESS) }
        precondition(CVodeSetLinearSolver(mem, LS, A) == CV_SUCCESS)
        precondition(CVodeSetJacFn(mem, jac) == CV_SUCCESS)
    }

    deinit {
        CVodeFree(&mem)
        SUNLinSolFree(LS)
        SUNMatDestroy(A)
        N_VDestroy(y)
        N_VDestroy(abstol)
        var c: SUNContext? = ctx
        SUNContext_Free(&c)
    }

    func collectStats(into r: inout RunRecord) {
        var v = 0
        CVodeGetNumSteps(mem, &v); r.counters["steps"] = v
        CVodeGetNumRhsEvals(mem, &v); r.counters["rhsEvals"] = v
        CVodeGetNumLinSolvSetups(mem, &v); r.counters["lsSetups"] = v
        CVodeGetNumErrTestFails(mem, &v); r.counters["errTestFails"] = v
        CVodeGetNumNonlinSolvIters(mem, &v); r.counters["nlsIters"] = v
        CVodeGetNumNonlinSolvConvFails(mem, &v); r.counters["nlsFails"] = v
        CVodeGetNumJacEvals(mem, &v); r.counters["jacEvals"] = v
        CVodeGetNumGEvals(mem, &v); r.counters["rootEvals"] = v
        var q: Int32 = 0
        CVodeGetLastOrder(mem, &q); r.counters["lastOrder"] = Int(q)
        var d = 0.0
        CVodeGetActualInitStep(mem, &d); r.reals["initStep"] = d
        CVodeGetLastStep(mem, &d); r.reals["lastStep"] = d
        CVodeGetCurrentTime(mem, &d); r.reals["currentTime"] = d
    }
}

// MARK: - Robertson (SUNDIALS example cvRoberts_dns)

private func robertsonRhs(
    _ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    let yd = N_VGetArrayPointer(y)!
    let fd = N_VGetArrayPointer(ydot)!
    let y1 = yd[0], y2 = yd[1], y3 = yd[2]
    let yd1 = -0.04 * y1 + 1.0e4 * y2 * y3
    let yd3 = 3.0e7 * y2 * y2
    fd[0] = yd1
    fd[2] = yd3
    fd[1] = -yd1 - yd3
    return 0
}

private func robertsonRoots(
    _ t: sunrealtype, _ y: N_Vector?, _ gout: UnsafeMutablePointer<sunrealtype>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    let yd = N_VGetArrayPointer(y)!
    gout![0] = yd[0] - 0.0001
    gout![1] = yd[2] - 0.01
    return 0
}

private func robertsonJac(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ J: SUNMatrix?,
    _ userData: UnsafeMutableRawPointer?,
    _ tmp1: N_Vector?, _ tmp2: N_Vector?, _ tmp3: N_Vector?
) -> Int32 {
    let yd = N_VGetArrayPointer(y)!
    let y2 = yd[1], y3 = yd[2]
    let j = SUNDenseMatrix_Data(J)!  // column-major: J(i,k) at j[k*3 + i]
    j[0] = -0.04; j[3] = 1.0e4 * y3; j[6] = 1.0e4 * y2
    j[1] = 0.04; j[4] = -1.0e4 * y3 - 6.0e7 * y2; j[7] = -1.0e4 * y2
    j[2] = 0.0; j[5] = 6.0e7 * y2; j[8] = 0.0
    return 0
}

private func runRobertson(_ ops: Ops, fused: Bool = false) -> RunRecord {
    let s = CVodeSetup(
        ops: ops, y0: [1, 0, 0], rtol: 1e-4, atol: [1e-8, 1e-14, 1e-6],
        rhs: robertsonRhs, jac: robertsonJac, nRoots: 2, roots: robertsonRoots,
        fused: fused)
    var record = RunRecord()
    var tout = 0.4
    var iout = 0
    var t = 0.0
    while iout < 12 {
        let flag = CVode(s.mem, tout, s.y, &t, CV_NORMAL)
        precondition(flag >= 0, "CVode failed with \(flag)")
        record.times.append(t)
        record.states.append(values(s.y))
        if flag == CV_ROOT_RETURN {
            var info: [Int32] = [0, 0]
            CVodeGetRootInfo(s.mem, &info)
            record.roots.append(info)
        }
        if flag == CV_SUCCESS {
            iout += 1
            tout *= 10
        }
    }
    s.collectStats(into: &record)
    return record
}

// MARK: - Stiff linear chain of 100 species

/// X0 -> X1 -> ... -> X99 with k_i = 10^(-2 + 6 i / 99), plus the reverse reactions
/// X11 -> X10 (0.3), X61 -> X60 (5.0) and X99 -> X98 (1.0). A Markov generator
/// (columns sum to zero), so total mass is conserved. Starts from the uniform distribution.
private enum Chain {
    static let n = 100
    static let reverse: [(Int, Double)] = [(10, 0.3), (60, 5.0), (98, 1.0)]  // X_{j+1} -> X_j

    /// Rates packed for user_data: forward k_0...k_98 then the reverse rates.
    static func packedRates() -> UnsafeMutablePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: n - 1 + reverse.count)
        for i in 0 ..< (n - 1) { p[i] = pow(10.0, -2.0 + 6.0 * Double(i) / 99.0) }
        for (r, (_, rate)) in reverse.enumerated() { p[n - 1 + r] = rate }
        return p
    }

    /// The generator K (dense, row-major K[i][j]) with dy/dt = K y.
    static func generator() -> [[Double]] {
        let rates = packedRates()
        defer { rates.deallocate() }
        var K = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        for i in 0 ..< (n - 1) {
            K[i][i] -= rates[i]
            K[i + 1][i] += rates[i]
        }
        for (r, (j, _)) in reverse.enumerated() {
            let rate = rates[n - 1 + r]
            K[j + 1][j + 1] -= rate
            K[j][j + 1] += rate
        }
        return K
    }

    /// Mass spread evenly over all species, so the fast modes (rates up to 1e4) are excited
    /// as well as the slow ones and every species is well above zero at t = 10.
    static var y0: [Double] { Array(repeating: 1.0 / Double(n), count: n) }
}

private func chainRhs(
    _ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    let n = Chain.n
    let k = userData!.assumingMemoryBound(to: Double.self)
    let yd = N_VGetArrayPointer(y)!
    let fd = N_VGetArrayPointer(ydot)!
    for i in 0 ..< n { fd[i] = 0 }
    for i in 0 ..< (n - 1) {
        let flux = k[i] * yd[i]
        fd[i] -= flux
        fd[i + 1] += flux
    }
    // reverse reactions X11 -> X10, X61 -> X60, X99 -> X98
    for (r, j) in [10, 60, 98].enumerated() {
        let flux = k[n - 1 + r] * yd[j + 1]
        fd[j + 1] -= flux
        fd[j] += flux
    }
    return 0
}

private func chainJac(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ J: SUNMatrix?,
    _ userData: UnsafeMutableRawPointer?,
    _ tmp1: N_Vector?, _ tmp2: N_Vector?, _ tmp3: N_Vector?
) -> Int32 {
    // CVODE zeroes J before calling; fill the non-zeros (column-major, J(i,j) at j*n + i).
    let n = Chain.n
    let k = userData!.assumingMemoryBound(to: Double.self)
    let a = SUNDenseMatrix_Data(J)!
    for i in 0 ..< (n - 1) {
        a[i * n + i] -= k[i]
        a[i * n + i + 1] += k[i]
    }
    for (r, j) in [10, 60, 98].enumerated() {
        a[(j + 1) * n + j + 1] -= k[n - 1 + r]
        a[(j + 1) * n + j] += k[n - 1 + r]
    }
    return 0
}

private func runChain(
    _ ops: Ops, rtol: Double, atol: Double, outputs: [Double],
    fused: Bool = false
) -> RunRecord {
    let rates = Chain.packedRates()
    defer { rates.deallocate() }
    let s = CVodeSetup(
        ops: ops, y0: Chain.y0, rtol: rtol,
        atol: Array(repeating: atol, count: Chain.n),
        rhs: chainRhs, jac: chainJac, userData: UnsafeMutableRawPointer(rates),
        fused: fused)
    precondition(CVodeSetMaxNumSteps(s.mem, 100_000) == CV_SUCCESS)
    var record = RunRecord()
    var t = 0.0
    for tout in outputs {
        let flag = CVode(s.mem, tout, s.y, &t, CV_NORMAL)
        precondition(flag == CV_SUCCESS, "CVode failed with \(flag)")
        record.times.append(t)
        record.states.append(values(s.y))
    }
    s.collectStats(into: &record)
    return record
}

/// exp(t K) y0 by uniformisation: with q >= max |K_ii| and P = I + K/q (a non-negative
/// matrix), exp(tK) y0 = sum_m Poisson(m; q t) P^m y0. Every term is non-negative, so the
/// sum has no cancellation; independent of CVODE and accurate to ~1e-10 relative here.
private func chainReference(t: Double) -> [Double] {
    let K = Chain.generator()
    let n = Chain.n
    let q = (0 ..< n).map { -K[$0][$0] }.max()!
    // sparse P
    var entries: [(Int, Int, Double)] = []
    for i in 0 ..< n {
        for j in 0 ..< n where K[i][j] != 0 || i == j {
            let p = (i == j ? 1.0 : 0.0) + K[i][j] / q
            if p != 0 { entries.append((i, j, p)) }
        }
    }
    let lambda = q * t
    let mMax = Int(lambda + 12 * lambda.squareRoot() + 100)
    var v = Chain.y0
    var next = Array(repeating: 0.0, count: n)
    var result = Array(repeating: 0.0, count: n)
    for m in 0 ... mMax {
        let logw = -lambda + Double(m) * log(lambda) - lgamma(Double(m) + 1)
        let w = exp(logw)
        if w > 0 {
            for i in 0 ..< n { result[i] += w * v[i] }
        }
        for i in 0 ..< n { next[i] = 0 }
        for (i, j, p) in entries { next[i] += p * v[j] }
        swap(&v, &next)
    }
    return result
}

// MARK: - Tests

final class FastOpsTests: XCTestCase {

    // MARK: installation

    func testInstallKeepsSerialIdentityAndClonesInherit() {
        let ctx = makeContext()
        var c: SUNContext? = ctx
        defer { SUNContext_Free(&c) }

        let v = N_VNew_Serial(7, ctx)!
        defer { N_VDestroy(v) }
        XCTAssertEqual(cascade_fastops_nvector_is_installed(v), 0)
        XCTAssertEqual(cascade_fastops_install_nvector(v), 0)
        XCTAssertEqual(cascade_fastops_nvector_is_installed(v), 1)
        XCTAssertEqual(N_VGetVectorID(v), SUNDIALS_NVEC_SERIAL)
        XCTAssertEqual(N_VGetLength(v), 7)
        // fused/vector-array ops stay disabled as on a stock serial vector
        XCTAssertNil(v.pointee.ops.pointee.nvlinearcombination)
        XCTAssertNil(v.pointee.ops.pointee.nvwrmsnormvectorarray)
        XCTAssertNotNil(v.pointee.ops.pointee.nvdotprodmultilocal)

        // clones (what CVODE makes) inherit the ops; so do clones of clones and empty clones
        let w = N_VClone(v)!
        defer { N_VDestroy(w) }
        XCTAssertEqual(cascade_fastops_nvector_is_installed(w), 1)
        XCTAssertEqual(N_VGetVectorID(w), SUNDIALS_NVEC_SERIAL)
        let w2 = N_VClone(w)!
        defer { N_VDestroy(w2) }
        XCTAssertEqual(cascade_fastops_nvector_is_installed(w2), 1)
        let e = N_VCloneEmpty(v)!
        defer { N_VDestroy(e) }
        XCTAssertEqual(cascade_fastops_nvector_is_installed(e), 1)
        XCTAssertNil(N_VGetArrayPointer(e))
        // serial content layout: stock accessors work on a fast vector
        setValues(v, [1, 2, 3, 4, 5, 6, 7])
        N_VScale(2.0, v, w)
        XCTAssertEqual(values(w), [2, 4, 6, 8, 10, 12, 14])

        // a stock vector is unaffected
        let s = N_VNew_Serial(3, ctx)!
        defer { N_VDestroy(s) }
        XCTAssertEqual(cascade_fastops_nvector_is_installed(s), 0)

        // fused ops can be switched on and off
        XCTAssertEqual(cascade_fastops_enable_fused_ops(v, 1), 0)
        XCTAssertNotNil(v.pointee.ops.pointee.nvlinearcombination)
        XCTAssertEqual(cascade_fastops_enable_fused_ops(v, 0), 0)
        XCTAssertNil(v.pointee.ops.pointee.nvlinearcombination)
        XCTAssertEqual(cascade_fastops_enable_fused_ops(s, 1), -1)  // not installed

        // enabled fused ops on a stock vector get replaced, keeping enablement
        let f = N_VNew_Serial(3, ctx)!
        defer { N_VDestroy(f) }
        XCTAssertEqual(N_VEnableFusedOps_Serial(f, 1), 0)
        XCTAssertEqual(cascade_fastops_install_nvector(f), 0)
        XCTAssertNotNil(f.pointee.ops.pointee.nvscaleaddmultivectorarray)

        // matrices: install and clone
        let A = SUNDenseMatrix(4, 4, ctx)!
        defer { SUNMatDestroy(A) }
        XCTAssertEqual(cascade_fastops_dense_matrix_is_installed(A), 0)
        XCTAssertEqual(cascade_fastops_install_dense_matrix(A), 0)
        XCTAssertEqual(cascade_fastops_dense_matrix_is_installed(A), 1)
        XCTAssertEqual(SUNMatGetID(A), SUNMATRIX_DENSE)
        let B = SUNMatClone(A)!
        defer { SUNMatDestroy(B) }
        XCTAssertEqual(cascade_fastops_dense_matrix_is_installed(B), 1)

        // rejects what it cannot handle
        XCTAssertEqual(cascade_fastops_install_nvector(nil), -1)
        XCTAssertEqual(cascade_fastops_install_dense_matrix(nil), -1)
        let sp = SUNSparseMatrix(4, 4, 4, CSC_MAT, ctx)!
        defer { SUNMatDestroy(sp) }
        XCTAssertEqual(cascade_fastops_install_dense_matrix(sp), -1)
        let rect = SUNDenseMatrix(4, 3, ctx)!
        defer { SUNMatDestroy(rect) }
        let y4 = N_VNew_Serial(4, ctx)!
        defer { N_VDestroy(y4) }
        XCTAssertNil(cascade_dense_lu_new(y4, rect, ctx))
        XCTAssertNil(cascade_dense_lu_new(v, A, ctx))  // length mismatch
    }

    // MARK: every vector op against stock, bit for bit

    func testVectorOpsBitIdenticalToStock() {
        let ctx = makeContext()
        var c: SUNContext? = ctx
        defer { SUNContext_Free(&c) }
        var rng = SplitMix64(seed: 42)
        let n: sunindextype = 37

        // Build matching stock and fast vector sets with identical contents.
        func makeSet(fast: Bool, fused: Bool) -> [N_Vector] {
            (0 ..< 16).map { _ in
                let v = N_VNew_Serial(n, ctx)!
                if fused { _ = N_VEnableFusedOps_Serial(v, 1) }
                if fast { _ = cascade_fastops_install_nvector(v) }
                return v
            }
        }
        var data: [[Double]] = (0 ..< 16).map { _ in (0 ..< Int(n)).map { _ in rng.uniform() * 10 } }
        // special values: zeros (for invtest/minquotient/constraints), constraints in {0,±1,±2}
        for i in stride(from: 0, to: Int(n), by: 5) { data[1][i] = 0 }
        data[7] = (0 ..< Int(n)).map { _ in Double(Int(rng.next() % 5)) - 2 }
        data[6] = (0 ..< Int(n)).map { _ in rng.uniform() }  // mask with both signs

        for fused in [false, true] {
            let S = makeSet(fast: false, fused: fused)
            let F = makeSet(fast: true, fused: fused)
            defer { (S + F).forEach { N_VDestroy($0) } }
            XCTAssertTrue(F.allSatisfy { cascade_fastops_nvector_is_installed($0) == 1 })
            XCTAssertTrue(S.allSatisfy { cascade_fastops_nvector_is_installed($0) == 0 })
            func reset() {
                for i in 0 ..< 16 { setValues(S[i], data[i]); setValues(F[i], data[i]) }
            }
            func check(_ what: String, _ line: UInt = #line) {
                for i in 0 ..< 16 {
                    XCTAssertEqual(
                        bits(values(S[i])), bits(values(F[i])),
                        "\(what) (fused \(fused)): vector \(i) differs", line: line)
                }
            }
            func same(_ a: Double, _ b: Double, _ what: String, _ line: UInt = #line) {
                XCTAssertEqual(
                    a.bitPattern, b.bitPattern, "\(what) (fused \(fused)): \(a) vs \(b)",
                    line: line)
            }

            let coefficients: [Double] = [1, -1, 0, 2.5, -2.5, 0.3, -7.25]
            // linear sum: all special cases, with aliasing of z to x or y
            for a in coefficients {
                for b in coefficients {
                    for alias in 0 ..< 3 {
                        reset()
                        func ls(_ V: [N_Vector]) {
                            let z = alias == 0 ? V[2] : (alias == 1 ? V[0] : V[1])
                            N_VLinearSum(a, V[0], b, V[1], z)
                        }
                        ls(S); ls(F)
                        check("linearsum a=\(a) b=\(b) alias=\(alias)")
                    }
                }
            }
            for cc in coefficients {
                reset(); N_VScale(cc, S[0], S[2]); N_VScale(cc, F[0], F[2]); check("scale \(cc)")
                reset(); N_VScale(cc, S[0], S[0]); N_VScale(cc, F[0], F[0]); check("scale in place \(cc)")
                reset(); N_VConst(cc, S[2]); N_VConst(cc, F[2]); check("const")
                reset(); N_VAddConst(S[0], cc, S[2]); N_VAddConst(F[0], cc, F[2]); check("addconst")
                reset(); N_VCompare(abs(cc), S[0], S[2]); N_VCompare(abs(cc), F[0], F[2]); check("compare")
            }
            reset(); N_VProd(S[0], S[1], S[2]); N_VProd(F[0], F[1], F[2]); check("prod")
            reset(); N_VDiv(S[0], S[3], S[2]); N_VDiv(F[0], F[3], F[2]); check("div")
            reset(); N_VAbs(S[0], S[2]); N_VAbs(F[0], F[2]); check("abs")
            reset(); N_VInv(S[0], S[2]); N_VInv(F[0], F[2]); check("inv")
            reset()
            XCTAssertEqual(N_VInvTest(S[1], S[2]), N_VInvTest(F[1], F[2])); check("invtest zero")
            XCTAssertEqual(N_VInvTest(S[0], S[3]), N_VInvTest(F[0], F[3])); check("invtest")
            reset()
            XCTAssertEqual(N_VConstrMask(S[7], S[0], S[2]), N_VConstrMask(F[7], F[0], F[2]))
            check("constrmask")
            reset()
            same(N_VDotProd(S[0], S[1]), N_VDotProd(F[0], F[1]), "dotprod")
            same(N_VMaxNorm(S[0]), N_VMaxNorm(F[0]), "maxnorm")
            same(N_VWrmsNorm(S[0], S[3]), N_VWrmsNorm(F[0], F[3]), "wrmsnorm")
            same(N_VWrmsNormMask(S[0], S[3], S[6]), N_VWrmsNormMask(F[0], F[3], F[6]), "wrmsnormmask")
            same(N_VMin(S[0]), N_VMin(F[0]), "min")
            same(N_VWL2Norm(S[0], S[3]), N_VWL2Norm(F[0], F[3]), "wl2norm")
            same(N_VL1Norm(S[0]), N_VL1Norm(F[0]), "l1norm")
            same(N_VMinQuotient(S[0], S[1]), N_VMinQuotient(F[0], F[1]), "minquotient")
            same(N_VDotProdLocal(S[0], S[1]), N_VDotProdLocal(F[0], F[1]), "dotprodlocal")
            same(N_VMaxNormLocal(S[0]), N_VMaxNormLocal(F[0]), "maxnormlocal")
            same(N_VMinLocal(S[0]), N_VMinLocal(F[0]), "minlocal")
            same(N_VL1NormLocal(S[0]), N_VL1NormLocal(F[0]), "l1normlocal")
            same(N_VWSqrSumLocal(S[0], S[3]), N_VWSqrSumLocal(F[0], F[3]), "wsqrsumlocal")
            same(
                N_VWSqrSumMaskLocal(S[0], S[3], S[6]), N_VWSqrSumMaskLocal(F[0], F[3], F[6]),
                "wsqrsummasklocal")
            same(N_VMinQuotientLocal(S[0], S[1]), N_VMinQuotientLocal(F[0], F[1]), "minquotientlocal")
            XCTAssertEqual(N_VInvTestLocal(S[1], S[2]), N_VInvTestLocal(F[1], F[2])); check("invtestlocal")
            XCTAssertEqual(N_VConstrMaskLocal(S[7], S[0], S[2]), N_VConstrMaskLocal(F[7], F[0], F[2]))
            check("constrmasklocal")

            // Fused and vector-array ops (through the generic API: on stock-default vectors the
            // generic fallbacks run on top of the fast standard ops).
            for nv in 1 ... 4 {
                var cs = (0 ..< nv).map { _ in rng.uniform() * 3 }
                for (into, c0) in [(0, 1.0), (0, 0.7), (1, 1.0), (1, 0.7)] {  // z separate, or z == X[0]
                    cs[0] = c0
                    reset()
                    for V in [S, F] {
                        var X = arr(V[0 ..< nv])
                        let z = into == 0 ? V[5] : V[0]
                        XCTAssertEqual(N_VLinearCombination(Int32(nv), &cs, &X, z), 0)
                    }
                    check("linearcombination nv=\(nv) into=\(into) c0=\(c0)")
                }
                var a = (0 ..< nv).map { _ in rng.uniform() * 3 }
                for inPlace in [false, true] {
                    reset()
                    for V in [S, F] {
                        var Y = arr(V[1 ..< (1 + nv)])
                        if inPlace {
                            XCTAssertEqual(
                                Y.withUnsafeMutableBufferPointer { yp in
                                    N_VScaleAddMulti(Int32(nv), &a, V[0], yp.baseAddress, yp.baseAddress)
                                }, 0)
                        } else {
                            var Z = arr(V[8 ..< (8 + nv)])
                            XCTAssertEqual(N_VScaleAddMulti(Int32(nv), &a, V[0], &Y, &Z), 0)
                        }
                    }
                    check("scaleaddmulti nv=\(nv) inPlace=\(inPlace)")
                }
                var dS = Array(repeating: 0.0, count: nv), dF = dS
                reset()
                var YS = arr(S[1 ..< (1 + nv)]), YF = arr(F[1 ..< (1 + nv)])
                XCTAssertEqual(N_VDotProdMulti(Int32(nv), S[0], &YS, &dS), 0)
                XCTAssertEqual(N_VDotProdMulti(Int32(nv), F[0], &YF, &dF), 0)
                XCTAssertEqual(bits(dS), bits(dF), "dotprodmulti nv=\(nv)")

                // vector arrays of nv vectors: X = V[0..<nv], Y = V[nv..<2nv] (nv <= 4)
                for a in coefficients {
                    for b in coefficients {
                        reset()
                        for V in [S, F] {
                            var X = arr(V[0 ..< nv]), Y = arr(V[nv ..< (2 * nv)])
                            var Z = arr(V[8 ..< (8 + nv)])
                            _ = N_VLinearSumVectorArray(Int32(nv), a, &X, b, &Y, &Z)
                        }
                        check("linearsumvectorarray nv=\(nv) a=\(a) b=\(b)")
                        reset()
                        for V in [S, F] {  // Z == Y (same array)
                            var X = arr(V[0 ..< nv]), Y = arr(V[nv ..< (2 * nv)])
                            _ = Y.withUnsafeMutableBufferPointer { yp in
                                N_VLinearSumVectorArray(Int32(nv), a, &X, b, yp.baseAddress, yp.baseAddress)
                            }
                        }
                        check("linearsumvectorarray Z==Y nv=\(nv) a=\(a) b=\(b)")
                    }
                }
                var sc = (0 ..< nv).map { _ in rng.uniform() * 3 }
                reset()
                for V in [S, F] {
                    var X = arr(V[0 ..< nv]), Z = arr(V[8 ..< (8 + nv)])
                    _ = N_VScaleVectorArray(Int32(nv), &sc, &X, &Z)
                    _ = X.withUnsafeMutableBufferPointer { xp in
                        N_VScaleVectorArray(Int32(nv), &sc, xp.baseAddress, xp.baseAddress)
                    }
                    var C = arr(V[nv ..< (2 * nv)])
                    _ = N_VConstVectorArray(Int32(nv), 0.25, &C)
                }
                check("scale/const vectorarray nv=\(nv)")
                reset()
                var nS = Array(repeating: 0.0, count: nv), nF = nS
                var mS = nS, mF = nS
                do {
                    var X = arr(S[0 ..< nv]), W = arr(S[nv ..< (2 * nv)])
                    _ = N_VWrmsNormVectorArray(Int32(nv), &X, &W, &nS)
                    _ = N_VWrmsNormMaskVectorArray(Int32(nv), &X, &W, S[6], &mS)
                }
                do {
                    var X = arr(F[0 ..< nv]), W = arr(F[nv ..< (2 * nv)])
                    _ = N_VWrmsNormVectorArray(Int32(nv), &X, &W, &nF)
                    _ = N_VWrmsNormMaskVectorArray(Int32(nv), &X, &W, F[6], &mF)
                }
                XCTAssertEqual(bits(nS), bits(nF), "wrmsnormvectorarray nv=\(nv)")
                XCTAssertEqual(bits(mS), bits(mF), "wrmsnormmaskvectorarray nv=\(nv)")
            }

            // multi-array ops: X = V[0..<nvec], arrays Y[j] = V[2 + j*nvec ..< 2 + (j+1)*nvec],
            // Z[j] likewise from V[8...] (or Z == Y), W = V[14..<14+nvec].
            for (nvec, nsum) in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)] {
                var a = (0 ..< nsum).map { _ in rng.uniform() * 2 }
                var cs = (0 ..< nsum).map { _ in rng.uniform() * 2 }
                for inPlace in [false, true] {
                    reset()
                    for V in [S, F] {
                        var X: [N_Vector?] = arr(V[0 ..< nvec])
                        let Y = PointerTable(V, start: 2, nvec: nvec, nsum: nsum)
                        let Z = inPlace ? Y : PointerTable(V, start: 8, nvec: nvec, nsum: nsum)
                        XCTAssertEqual(
                            N_VScaleAddMultiVectorArray(
                                Int32(nvec), Int32(nsum), &a, &X,
                                Y.table, Z.table), 0)
                        var W: [N_Vector?] = arr(V[14 ..< (14 + nvec)])
                        XCTAssertEqual(
                            N_VLinearCombinationVectorArray(
                                Int32(nvec), Int32(nsum), &cs,
                                Y.table, &W), 0)
                        if inPlace {  // X[0] == Z, with c[0] != 1 and then c[0] == 1
                            XCTAssertEqual(
                                N_VLinearCombinationVectorArray(
                                    Int32(nvec), Int32(nsum), &cs,
                                    Y.table, Y.table[0]), 0)
                            var c1 = cs
                            c1[0] = 1
                            XCTAssertEqual(
                                N_VLinearCombinationVectorArray(
                                    Int32(nvec), Int32(nsum), &c1,
                                    Y.table, Y.table[0]), 0)
                        }
                    }
                    check("multi-array nvec=\(nvec) nsum=\(nsum) inPlace=\(inPlace)")
                }
            }
        }
    }

    // MARK: dense matrix ops against stock

    func testDenseMatrixOpsBitIdenticalToStock() {
        let ctx = makeContext()
        var c: SUNContext? = ctx
        defer { SUNContext_Free(&c) }
        var rng = SplitMix64(seed: 7)
        let n = 23
        let a0 = (0 ..< (n * n)).map { _ in rng.next() % 4 == 0 ? 0.0 : rng.uniform() }
        let b0 = (0 ..< (n * n)).map { _ in rng.uniform() }
        let x0 = (0 ..< n).map { _ in rng.uniform() }

        func run(fast: Bool) -> [Double] {
            let A = SUNDenseMatrix(sunindextype(n), sunindextype(n), ctx)!
            let B = SUNDenseMatrix(sunindextype(n), sunindextype(n), ctx)!
            let x = N_VNew_Serial(sunindextype(n), ctx)!
            let y = N_VNew_Serial(sunindextype(n), ctx)!
            defer { SUNMatDestroy(A); SUNMatDestroy(B); N_VDestroy(x); N_VDestroy(y) }
            if fast {
                _ = cascade_fastops_install_dense_matrix(A)
                _ = cascade_fastops_install_dense_matrix(B)
            }
            let ad = SUNDenseMatrix_Data(A)!, bd = SUNDenseMatrix_Data(B)!
            for i in 0 ..< (n * n) { ad[i] = a0[i]; bd[i] = b0[i] }
            setValues(x, x0)
            var out: [Double] = []
            XCTAssertEqual(SUNMatMatvec(A, x, y), SUNMAT_SUCCESS)
            out += values(y)
            XCTAssertEqual(SUNMatScaleAddI(-0.37, A), SUNMAT_SUCCESS)
            out += matrixValues(A)
            XCTAssertEqual(SUNMatScaleAdd(1.9, A, B), SUNMAT_SUCCESS)
            out += matrixValues(A)
            let C = SUNMatClone(A)!
            defer { SUNMatDestroy(C) }
            XCTAssertEqual(SUNMatCopy(A, C), SUNMAT_SUCCESS)
            XCTAssertEqual(SUNMatScaleAddI(3.0, C), SUNMAT_SUCCESS)
            out += matrixValues(C)
            XCTAssertEqual(SUNMatMatvec(C, x, y), SUNMAT_SUCCESS)
            out += values(y)
            XCTAssertEqual(SUNMatZero(A), SUNMAT_SUCCESS)
            out += matrixValues(A)
            XCTAssertEqual(SUNMatMatvec(A, x, x), SUNMAT_MEM_FAIL)  // aliasing rejected as stock
            return out
        }
        XCTAssertEqual(bits(run(fast: false)), bits(run(fast: true)))
    }

    // MARK: 3. the LU solver alone

    func testDenseLUBitIdenticalToSUNLinSolDense() {
        let ctx = makeContext()
        var c: SUNContext? = ctx
        defer { SUNContext_Free(&c) }
        var rng = SplitMix64(seed: 2024)
        let n = 50
        var totalSwaps = 0

        for trial in 0 ..< 20 {
            // Random matrix with entries in [-1, 1), some exact zeros (signed, to exercise the
            // skipped updates), plus a modest diagonal shift: well-conditioned, yet partial
            // pivoting still swaps rows.
            var a = (0 ..< (n * n)).map { _ in rng.uniform() }
            for i in 0 ..< (n * n) where rng.next() % 5 == 0 { a[i] = (rng.next() % 2 == 0) ? 0.0 : -0.0 }
            for i in 0 ..< n { a[i * n + i] += 1.5 }
            let b = (0 ..< n).map { _ in rng.uniform() * 100 }

            func solve(fast: Bool) -> (lu: [Double], x: [Double], piv: [Int], flag: Int32) {
                let A = SUNDenseMatrix(sunindextype(n), sunindextype(n), ctx)!
                let x = N_VNew_Serial(sunindextype(n), ctx)!
                let rhs = N_VNew_Serial(sunindextype(n), ctx)!
                defer { SUNMatDestroy(A); N_VDestroy(x); N_VDestroy(rhs) }
                if fast && trial % 2 == 0 {  // fast solver with stock and with fast vectors/matrix
                    _ = cascade_fastops_install_nvector(x)
                    _ = cascade_fastops_install_nvector(rhs)
                    _ = cascade_fastops_install_dense_matrix(A)
                }
                let LS = fast ? cascade_dense_lu_new(x, A, ctx)! : SUNLinSol_Dense(x, A, ctx)!
                defer { SUNLinSolFree(LS) }
                XCTAssertEqual(SUNLinSolGetType(LS), SUNLINEARSOLVER_DIRECT)
                let ad = SUNDenseMatrix_Data(A)!
                for i in 0 ..< (n * n) { ad[i] = a[i] }
                setValues(rhs, b)
                XCTAssertEqual(SUNLinSolInitialize(LS), 0)
                let flag = SUNLinSolSetup(LS, A)
                XCTAssertEqual(SUNLinSolSolve(LS, A, x, rhs, 0.0), 0)
                let pivPtr: UnsafePointer<sunindextype>
                if fast {
                    pivPtr = cascade_dense_lu_pivots(LS)!
                } else {
                    let content = LS.pointee.content.assumingMemoryBound(to: _SUNLinearSolverContent_Dense.self)
                    pivPtr = UnsafePointer(content.pointee.pivots)
                }
                return (matrixValues(A), values(x), (0 ..< n).map { Int(pivPtr[$0]) }, flag)
            }
            let s = solve(fast: false)
            let f = solve(fast: true)
            XCTAssertEqual(s.flag, 0)
            XCTAssertEqual(f.flag, 0)
            XCTAssertEqual(s.piv, f.piv, "trial \(trial): pivots differ")
            XCTAssertEqual(bits(s.lu), bits(f.lu), "trial \(trial): LU factors differ")
            XCTAssertEqual(bits(s.x), bits(f.x), "trial \(trial): solutions differ")
            totalSwaps += f.piv.enumerated().filter { $0.offset != $0.element }.count

            // sanity: the solution actually solves the system
            var maxRes = 0.0
            for i in 0 ..< n {
                var r = -b[i]
                for j in 0 ..< n { r += a[j * n + i] * f.x[j] }
                maxRes = max(maxRes, abs(r))
            }
            XCTAssertLessThan(maxRes, 1e-10, "trial \(trial): residual \(maxRes)")
        }
        XCTAssertGreaterThan(totalSwaps, 100, "the test matrices should exercise row swaps")

        // A singular matrix fails the same way (same column reported).
        for fast in [false, true] {
            let A = SUNDenseMatrix(4, 4, ctx)!
            let x = N_VNew_Serial(4, ctx)!
            defer { SUNMatDestroy(A); N_VDestroy(x) }
            let LS = fast ? cascade_dense_lu_new(x, A, ctx)! : SUNLinSol_Dense(x, A, ctx)!
            defer { SUNLinSolFree(LS) }
            let ad = SUNDenseMatrix_Data(A)!
            for j in 0 ..< 4 { for i in 0 ..< 4 { ad[j * 4 + i] = (j == 2) ? 0 : Double(i + 1) * Double(j + 2) + (i == j ? 1 : 0) } }
            XCTAssertEqual(SUNLinSolSetup(LS, A), SUNLS_LUFACT_FAIL)
            XCTAssertEqual(SUNLinSolLastFlag(LS), 3, "\(fast ? "fast" : "stock")")
        }
    }

    // MARK: 1. Robertson

    func testRobertsonStockAndFastBitIdenticalAndMatchPublishedOutput() {
        let stock = runRobertson(.stock)
        let fast = runRobertson(.fast)

        // (a) bit-identical outputs and identical statistics
        XCTAssertEqual(stock.times.count, 14)
        XCTAssertEqual(stock.fingerprint, fast.fingerprint, "stock and fast Robertson runs differ")
        XCTAssertEqual(stock.counters, fast.counters)
        XCTAssertGreaterThan(stock.counters["steps"]!, 0)

        // (b) SUNDIALS' published output. Source: examples/cvode/serial/cvRoberts_dns.out in
        // the SUNDIALS repository at tag v6.4.1 (LLNL/sundials), printed there with %14.6e.
        // Rows: t, y1, y2, y3; two rows are root returns.
        let published: [[Double]] = [
            [2.6391e-01, 9.899653e-01, 3.470564e-05, 1.000000e-02],  // root g2 (y3 = 0.01)
            [4.0000e-01, 9.851641e-01, 3.386242e-05, 1.480205e-02],
            [4.0000e+00, 9.055097e-01, 2.240338e-05, 9.446793e-02],
            [4.0000e+01, 7.158017e-01, 9.185037e-06, 2.841892e-01],
            [4.0000e+02, 4.505360e-01, 3.223271e-06, 5.494608e-01],
            [4.0000e+03, 1.832299e-01, 8.944378e-07, 8.167692e-01],
            [4.0000e+04, 3.898902e-02, 1.622006e-07, 9.610108e-01],
            [4.0000e+05, 4.936383e-03, 1.984224e-08, 9.950636e-01],
            [4.0000e+06, 5.168093e-04, 2.068293e-09, 9.994832e-01],
            [2.0790e+07, 1.000000e-04, 4.000397e-10, 9.999000e-01],  // root g1 (y1 = 1e-4)
            [4.0000e+07, 5.202440e-05, 2.081083e-10, 9.999480e-01],
            [4.0000e+08, 5.201061e-06, 2.080435e-11, 9.999948e-01],
            [4.0000e+09, 5.258603e-07, 2.103442e-12, 9.999995e-01],
            [4.0000e+10, 6.934511e-08, 2.773804e-13, 9.999999e-01],
        ]
        // published "rootsfound[]" lines: "0 1" after the first root, "-1 0" after the second
        let publishedRoots: [[Int32]] = [[0, 1], [-1, 0]]

        XCTAssertEqual(fast.times.count, published.count)
        for (row, want) in zip(0..., published) where row < fast.times.count {
            let got = [fast.times[row]] + fast.states[row]
            for k in 0 ..< 4 {
                // 4 significant digits: within half a unit in the 4th digit
                let tol = 5e-4 * abs(want[k])
                XCTAssertEqual(
                    got[k], want[k], accuracy: tol,
                    "row \(row) column \(k): \(got[k]) vs published \(want[k])")
            }
        }
        XCTAssertEqual(fast.roots, publishedRoots)

        // The same SUNDIALS release gives the published final statistics exactly
        // (cvRoberts_dns.out: Steps 542, Error test fails 22, RHS fn evals 754, NLS iters 751,
        // NLS fails 3, LS setups 107, Jac fn evals 11, Root fn evals 570, order 4).
        XCTAssertEqual(fast.counters["steps"], 542)
        XCTAssertEqual(fast.counters["errTestFails"], 22)
        XCTAssertEqual(fast.counters["rhsEvals"], 754)
        XCTAssertEqual(fast.counters["nlsIters"], 751)
        XCTAssertEqual(fast.counters["nlsFails"], 3)
        XCTAssertEqual(fast.counters["lsSetups"], 107)
        XCTAssertEqual(fast.counters["jacEvals"], 11)
        XCTAssertEqual(fast.counters["rootEvals"], 570)
        XCTAssertEqual(fast.counters["lastOrder"], 4)
        XCTAssertEqual(fast.reals["initStep"]!, 8.236259832589498e-14, accuracy: 1e-25)
        XCTAssertEqual(fast.reals["lastStep"]!, 4747036977.219155, accuracy: 1e-3)
        XCTAssertEqual(fast.reals["currentTime"]!, 41154661313.59952, accuracy: 1e-2)
    }

    func testRobertsonWithFusedOpsEnabledIsBitIdentical() {
        // Enablement is preserved: with fused ops switched on in the stock vector, the fast
        // vector gets the fast fused ops, and the two runs still agree bit for bit.
        let stock = runRobertson(.stock, fused: true)
        let fast = runRobertson(.fast, fused: true)
        XCTAssertEqual(stock.fingerprint, fast.fingerprint)
    }

    // MARK: 2. 100-species stiff chain

    func testStiffChainStockAndFastBitIdenticalAndAccurate() {
        let outputs = [0.01, 0.1, 1.0, 10.0]
        let stock = runChain(.stock, rtol: 1e-6, atol: 1e-12, outputs: outputs)
        let fast = runChain(.fast, rtol: 1e-6, atol: 1e-12, outputs: outputs)
        XCTAssertEqual(stock.fingerprint, fast.fingerprint, "stock and fast chain runs differ")
        XCTAssertEqual(stock.counters, fast.counters)
        XCTAssertGreaterThan(fast.counters["steps"]!, 50)

        let fusedStock = runChain(.stock, rtol: 1e-6, atol: 1e-12, outputs: outputs, fused: true)
        let fusedFast = runChain(.fast, rtol: 1e-6, atol: 1e-12, outputs: outputs, fused: true)
        XCTAssertEqual(fusedStock.fingerprint, fusedFast.fingerprint, "fused-op chain runs differ")

        // Accuracy: a tight-tolerance run with the fast ops against exp(10 K) y0 computed by
        // uniformisation (independent of CVODE).
        let reference = chainReference(t: 10.0)
        XCTAssertEqual(reference.reduce(0, +), 1.0, accuracy: 1e-9, "mass is conserved")
        let tight = runChain(.fast, rtol: 1e-11, atol: 1e-18, outputs: [10.0])
        let y = tight.states[0]
        var worst = 0.0
        var compared = 0
        for i in 0 ..< Chain.n where reference[i] > 1e-12 {
            let rel = abs(y[i] - reference[i]) / reference[i]
            worst = max(worst, rel)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 90)
        XCTAssertLessThan(worst, 1e-6, "worst relative error vs exp(tK) y0: \(worst)")
        print("chain: steps \(fast.counters["steps"]!) (tight: \(tight.counters["steps"]!)), worst rel err \(worst), min ref \(reference.min()!)")
        // and the default-tolerance run is close too
        let yd = fast.states.last!
        let maxRef = reference.max()!
        let normErr = zip(yd, reference).map { abs($0 - $1) }.max()! / maxRef
        XCTAssertLessThan(normErr, 1e-4, "rtol 1e-6 run vs reference: \(normErr)")
    }
}
