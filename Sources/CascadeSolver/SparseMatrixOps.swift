import CFastOps
import CKLU
import CSundials

/// Compiled replacements for the sparse (CSC) matrix operations CVODE runs at every Newton
/// matrix set-up with KLU: zero, copy (to and from its saved Jacobian) and A ← I + c·A.
///
/// Debian's SUNDIALS is built without optimisation, and these loops showed up at 6–9% of KLU
/// runs. Each replacement does the stock arithmetic in the stock order, so results are
/// bit-identical; anything they do not cover (a missing diagonal, mismatched matrices) goes to
/// the stock function. Clones of a matrix get the same operations, so CVODE's saved Jacobian
/// uses them too. Installed only with `SolverOptions.kernels == .optimised`.
enum SparseMatrixOps {
    static func install(_ A: SUNMatrix) {
        guard SUNMatGetID(A) == SUNMATRIX_SPARSE, let ops = A.pointee.ops else { return }
        ops.pointee.clone = sparseClone
        ops.pointee.zero = sparseZero
        ops.pointee.copy = sparseCopy
        ops.pointee.scaleaddi = sparseScaleAddI
    }
}

@inline(__always)
private func content(_ A: SUNMatrix) -> UnsafeMutablePointer<_SUNMatrixContent_Sparse> {
    A.pointee.content.assumingMemoryBound(to: _SUNMatrixContent_Sparse.self)
}

private let sparseClone: @convention(c) (SUNMatrix?) -> SUNMatrix? = { A in
    guard let A else { return nil }
    let a = content(A).pointee
    guard let B = SUNSparseMatrix(a.M, a.N, a.NNZ, a.sparsetype, A.pointee.sunctx) else { return nil }
    SparseMatrixOps.install(B)
    return B
}

/// As SUNMatZero_Sparse: values, row indices and column pointers all zero.
private let sparseZero: @convention(c) (SUNMatrix?) -> Int32 = { A in
    guard let A else { return SUNMAT_MEM_FAIL }
    let a = content(A).pointee
    let nnz = Int(a.NNZ)
    guard let data = a.data, let rows = a.indexvals, let ptrs = a.indexptrs else { return SUNMAT_MEM_FAIL }
    data.update(repeating: 0, count: nnz)
    rows.update(repeating: 0, count: nnz)
    ptrs.update(repeating: 0, count: Int(a.NP) + 1)
    return SUNMAT_SUCCESS
}

/// As SUNMatCopy_Sparse when B already has room: B zeroed, then A's entries and pointers.
private let sparseCopy: @convention(c) (SUNMatrix?, SUNMatrix?) -> Int32 = { A, B in
    guard let A, let B else { return SUNMAT_MEM_FAIL }
    let a = content(A).pointee, b = content(B).pointee
    guard let ax = a.data, let ai = a.indexvals, let ap = a.indexptrs,
        let bx = b.data, let bi = b.indexvals, let bp = b.indexptrs
    else { return SUNMatCopy_Sparse(A, B) }
    let np = Int(a.NP), nz = Int(ap[np])
    guard A != B, SUNMatGetID(B) == SUNMATRIX_SPARSE, a.M == b.M, a.N == b.N, a.sparsetype == b.sparsetype,
        Int(b.NNZ) >= nz, b.NP == a.NP
    else {
        return SUNMatCopy_Sparse(A, B)
    }
    let bnnz = Int(b.NNZ)
    bx.update(from: ax, count: nz)
    (bx + nz).update(repeating: 0, count: bnnz - nz)
    bi.update(from: ai, count: nz)
    (bi + nz).update(repeating: 0, count: bnnz - nz)
    bp.update(from: ap, count: np)
    bp[np] = sunindextype(nz)
    return SUNMAT_SUCCESS
}

/// As SUNMatScaleAddI_Sparse when every column holds its diagonal entry (the simulator's
/// pattern always does): diagonal entries become 1 + c·a, the others c·a.
private let sparseScaleAddI: @convention(c) (sunrealtype, SUNMatrix?) -> Int32 = { c, A in
    guard let A else { return SUNMAT_MEM_FAIL }
    let a = content(A).pointee
    let (m, n) = a.sparsetype == CSC_MAT ? (Int(a.M), Int(a.N)) : (Int(a.N), Int(a.M))
    guard let p = a.indexptrs, let rows = a.indexvals, let x = a.data else { return SUNMatScaleAddI_Sparse(c, A) }
    let d = Swift.min(m, n)
    for j in 0 ..< d {
        var found = false
        for i in Int(p[j]) ..< Int(p[j + 1]) where rows[i] == j {
            found = true
            break
        }
        if !found { return SUNMatScaleAddI_Sparse(c, A) }
    }
    for j in 0 ..< d {
        for i in Int(p[j]) ..< Int(p[j + 1]) {
            x[i] = rows[i] == j ? 1 + c * x[i] : c * x[i]
        }
    }
    return SUNMAT_SUCCESS
}
