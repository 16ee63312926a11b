#ifndef CASCADE_FASTOPS_H
#define CASCADE_FASTOPS_H

/*
 * Optimised replacements for the SUNDIALS 6.x serial N_Vector operations,
 * the dense SUNMatrix operations and the dense LU linear solver.
 *
 * Debian's libsundials is built without optimisation; this target is
 * compiled with -O2 -ffp-contract=off -fno-fast-math. Every operation does
 * the same floating-point operations in the same order as the stock serial
 * implementation (sums are sequential, no FMA), so results are bit-identical
 * to the stock operations -- only faster.
 */

#include <sundials/sundials_context.h>
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>
#include <sundials/sundials_nvector.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Replace the operations of a serial N_Vector (made by N_VNew_Serial) with optimised ones.
/// Clones made from it (N_VClone, which CVODE uses) inherit them. Returns 0 on success.
///
/// The vector keeps the serial id (SUNDIALS_NVEC_SERIAL), the serial content layout and
/// the stock constructor/destructor/accessor ops. The fused and vector-array operations
/// keep their current enablement: those that are NULL (the default for serial vectors in
/// SUNDIALS 6.4.1) stay NULL, those that were enabled get the optimised version.
/// Returns -1 if v is NULL or not a serial vector.
int cascade_fastops_install_nvector(N_Vector v);

/// Enable (enable != 0) or disable the optimised fused and vector-array operations on a
/// vector that has the fast operations installed, like N_VEnableFusedOps_Serial does for
/// stock vectors (it also sets nvdotprodmultilocal accordingly). Returns 0 on success,
/// -1 if v is NULL or does not have the fast operations installed.
int cascade_fastops_enable_fused_ops(N_Vector v, int enable);

/// 1 if v has the fast N_Vector operations installed, 0 otherwise.
int cascade_fastops_nvector_is_installed(N_Vector v);

/// Replace the operations of a SUNDenseMatrix (SUNMatCopy, SUNMatZero, SUNMatScaleAddI,
/// SUNMatScaleAdd, SUNMatMatvec, SUNMatClone) with optimised ones. Clones (SUNMatClone,
/// used by CVODE for its saved Jacobian) get the optimised ops too. Returns 0 on success,
/// -1 if A is NULL or not a SUNDenseMatrix.
int cascade_fastops_install_dense_matrix(SUNMatrix A);

/// 1 if A has the fast dense matrix operations installed, 0 otherwise.
int cascade_fastops_dense_matrix_is_installed(SUNMatrix A);

/// A dense LU linear solver (partial pivoting, same pivot choice and operation order as
/// SUNDIALS' SUNLinSol_Dense so results are bit-identical) compiled with optimisation.
/// Type SUNLINEARSOLVER_DIRECT (id SUNLINEARSOLVER_CUSTOM); usable with CVodeSetLinearSolver.
/// y must be a serial vector (stock or fast ops) of the matrix's size, A a square
/// SUNDenseMatrix. Returns NULL on failure. Free with SUNLinSolFree.
SUNLinearSolver cascade_dense_lu_new(N_Vector y, SUNMatrix A, SUNContext ctx);

/// The pivot array of a solver made by cascade_dense_lu_new (valid after a successful
/// setup), NULL for any other solver.
const sunindextype *cascade_dense_lu_pivots(SUNLinearSolver S);

#ifdef __cplusplus
}
#endif

#endif /* CASCADE_FASTOPS_H */
