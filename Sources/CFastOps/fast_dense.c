/*
 * Optimised dense SUNMatrix operations and dense LU linear solver for
 * SUNDIALS 6.x.
 *
 * The arithmetic matches SUNDIALS 6.4.1's SUNMatrix_Dense and
 * SUNLinSol_Dense (SUNDlsMat_denseGETRF / denseGETRS) operation for
 * operation: every matrix entry receives the same updates, with the same
 * operands, in the same order, so results are bit-identical. The speed comes
 * from compiling with optimisation (this file: -O2 -ffp-contract=off, no
 * fast-math), from contiguous column access and from updating several
 * columns per sweep of the pivot column in the LU elimination.
 */

#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "cascade_fastops.h"

#include "wide.h"

typedef sunrealtype real;
typedef sunindextype idx;

/* ------------------------------------------------------------------------
 * Dense matrix operations. Storage is column-major, contiguous, with
 * leading dimension M (SUNDenseMatrix allocates data as one block).
 * ------------------------------------------------------------------------ */

#define MCONTENT(A) ((SUNMatrixContent_Dense)((A)->content))

static int is_dense(SUNMatrix A)
{
  return A != NULL && A->ops != NULL && A->content != NULL &&
         A->ops->getid != NULL && A->ops->getid(A) == SUNMATRIX_DENSE;
}

static int same_shape(SUNMatrix A, SUNMatrix B)
{
  return is_dense(A) && is_dense(B) && MCONTENT(A)->M == MCONTENT(B)->M &&
         MCONTENT(A)->N == MCONTENT(B)->N;
}

static int fm_zero(SUNMatrix A)
{
  const idx len = MCONTENT(A)->ldata;
  real *a = MCONTENT(A)->data;
  for (idx i = 0; i < len; i++) a[i] = 0.0;
  return SUNMAT_SUCCESS;
}

static int fm_copy(SUNMatrix A, SUNMatrix B)
{
  if (!same_shape(A, B)) return SUNMAT_ILL_INPUT;
  const idx m = MCONTENT(A)->M, n = MCONTENT(A)->N;
  real **ac = MCONTENT(A)->cols, **bc = MCONTENT(B)->cols;
  for (idx j = 0; j < n; j++) memcpy(bc[j], ac[j], (size_t)m * sizeof(real));
  return SUNMAT_SUCCESS;
}

/* A = c*A + I: every entry is scaled, then 1 is added on the diagonal. */
static int fm_scaleaddi(real c, SUNMatrix A)
{
  const idx m = MCONTENT(A)->M, n = MCONTENT(A)->N;
  real **ac = MCONTENT(A)->cols;
  for (idx j = 0; j < n; j++) {
    real *col = ac[j];
    for (idx i = 0; i < m; i++) col[i] *= c;
    if (j < m) col[j] += 1.0;
  }
  return SUNMAT_SUCCESS;
}

/* A = c*A + B */
static int fm_scaleadd(real c, SUNMatrix A, SUNMatrix B)
{
  if (!same_shape(A, B)) return SUNMAT_ILL_INPUT;
  const idx m = MCONTENT(A)->M, n = MCONTENT(A)->N;
  real **ac = MCONTENT(A)->cols, **bc = MCONTENT(B)->cols;
  for (idx j = 0; j < n; j++) {
    real *a = ac[j];
    const real *b = bc[j];
    for (idx i = 0; i < m; i++) a[i] = c * a[i] + b[i];
  }
  return SUNMAT_SUCCESS;
}

/* y = A x, accumulated column by column (y[i] gets its terms in column order). */
static int fm_matvec(SUNMatrix A, N_Vector x, N_Vector y)
{
  if (x == NULL || y == NULL || x->ops == NULL || y->ops == NULL ||
      x->ops->nvgetarraypointer == NULL || y->ops->nvgetarraypointer == NULL)
    return SUNMAT_ILL_INPUT;
  const idx m = MCONTENT(A)->M, n = MCONTENT(A)->N;
  if (N_VGetLength(x) != n || N_VGetLength(y) != m) return SUNMAT_ILL_INPUT;

  const real *xd = N_VGetArrayPointer(x);
  real *yd = N_VGetArrayPointer(y);
  if (xd == NULL || yd == NULL || xd == yd) return SUNMAT_MEM_FAIL;

  real **ac = MCONTENT(A)->cols;
  for (idx i = 0; i < m; i++) yd[i] = 0.0;
  for (idx j = 0; j < n; j++) {
    const real *col = ac[j];
    const real xj = xd[j];
    for (idx i = 0; i < m; i++) yd[i] += col[i] * xj;
  }
  return SUNMAT_SUCCESS;
}

static SUNMatrix fm_clone(SUNMatrix A)
{
  SUNMatrix B = SUNDenseMatrix(MCONTENT(A)->M, MCONTENT(A)->N, A->sunctx);
  if (B != NULL && cascade_fastops_install_dense_matrix(B) != 0) {
    SUNMatDestroy(B);
    return NULL;
  }
  return B;
}

int cascade_fastops_install_dense_matrix(SUNMatrix A)
{
  if (!is_dense(A) || A->ops->getid != SUNMatGetID_Dense) return -1;
  /* getid, destroy and space stay stock */
  A->ops->clone     = fm_clone;
  A->ops->zero      = fm_zero;
  A->ops->copy      = fm_copy;
  A->ops->scaleadd  = fm_scaleadd;
  A->ops->scaleaddi = fm_scaleaddi;
  A->ops->matvec    = fm_matvec;
  return 0;
}

int cascade_fastops_dense_matrix_is_installed(SUNMatrix A)
{
  return is_dense(A) && A->ops->copy == fm_copy;
}

/* ------------------------------------------------------------------------
 * Dense LU with partial pivoting (right-looking, column oriented), the same
 * algorithm as SUNDlsMat_denseGETRF:
 *   for each k: pivot l = first row of max |a(i,k)|, i >= k; swap rows k and
 *   l across all columns; scale a(k+1:m,k) by (1/a(k,k)); for each column
 *   j > k with a(k,j) != 0: a(k+1:m,j) -= a(k,j) * a(k+1:m,k).
 * Each entry gets exactly the stock updates in the stock order; only the
 * loop schedule differs (four columns share one pass over column k).
 * ------------------------------------------------------------------------ */

static inline void update1(idx lo, idx m, real u, const real *restrict lk, real *restrict c)
{
  for (idx i = lo; i < m; i++) c[i] -= u * lk[i];
}

static inline void update4(idx lo, idx m, const real *restrict lk,
                           real u0, real *restrict c0, real u1, real *restrict c1,
                           real u2, real *restrict c2, real u3, real *restrict c3)
{
  for (idx i = lo; i < m; i++) {
    const real l = lk[i];
    c0[i] -= u0 * l;
    c1[i] -= u1 * l;
    c2[i] -= u2 * l;
    c3[i] -= u3 * l;
  }
}

/* Returns 0 on success, k+1 if the k-th pivot is zero (as the stock routine). */
CASCADE_WIDE static idx lu_factor(real **a, idx m, idx n, idx *p)
{
  for (idx k = 0; k < n; k++) {
    real *ck = a[k];

    /* pivot: first index of the largest magnitude */
    idx l = k;
    real big = fabs(ck[k]);
    for (idx i = k + 1; i < m; i++) {
      const real v = fabs(ck[i]);
      if (v > big) { big = v; l = i; }
    }
    p[k] = l;
    if (ck[l] == 0.0) return k + 1;

    if (l != k) {
      for (idx j = 0; j < n; j++) {
        real *c = a[j];
        const real t = c[l];
        c[l] = c[k];
        c[k] = t;
      }
    }

    const real mult = 1.0 / ck[k];
    for (idx i = k + 1; i < m; i++) ck[i] *= mult;

    idx j = k + 1;
    while (j < n) {
      if (j + 4 <= n) {
        real *c0 = a[j], *c1 = a[j + 1], *c2 = a[j + 2], *c3 = a[j + 3];
        const real u0 = c0[k], u1 = c1[k], u2 = c2[k], u3 = c3[k];
        if (u0 != 0.0 && u1 != 0.0 && u2 != 0.0 && u3 != 0.0) {
          update4(k + 1, m, ck, u0, c0, u1, c1, u2, c2, u3, c3);
          j += 4;
          continue;
        }
        /* a zero multiplier means the column is skipped (as stock): do the
           four columns one at a time */
        if (u0 != 0.0) update1(k + 1, m, u0, ck, c0);
        if (u1 != 0.0) update1(k + 1, m, u1, ck, c1);
        if (u2 != 0.0) update1(k + 1, m, u2, ck, c2);
        if (u3 != 0.0) update1(k + 1, m, u3, ck, c3);
        j += 4;
        continue;
      }
      real *c = a[j];
      const real u = c[k];
      if (u != 0.0) update1(k + 1, m, u, ck, c);
      j++;
    }
  }
  return 0;
}

/* Solve with the factors: permute, forward (unit lower), backward (upper),
   all column oriented as denseGETRS. */
CASCADE_WIDE static void lu_solve(real **a, idx n, const idx *p, real *b)
{
  for (idx k = 0; k < n; k++) {
    const idx pk = p[k];
    if (pk != k) {
      const real t = b[k];
      b[k] = b[pk];
      b[pk] = t;
    }
  }
  for (idx k = 0; k < n - 1; k++) {
    const real *ck = a[k];
    const real bk = b[k];
    for (idx i = k + 1; i < n; i++) b[i] -= ck[i] * bk;
  }
  for (idx k = n - 1; k > 0; k--) {
    const real *ck = a[k];
    b[k] /= ck[k];
    const real bk = b[k];
    for (idx i = 0; i < k; i++) b[i] -= ck[i] * bk;
  }
  b[0] /= a[0][0];
}

/* ------------------------------------------------------------------------
 * SUNLinearSolver wrapper
 * ------------------------------------------------------------------------ */

typedef struct {
  idx n;
  idx *pivots;
  idx last_flag;
} lu_content;

#define LCONTENT(S) ((lu_content *)((S)->content))

static SUNLinearSolver_Type lu_gettype(SUNLinearSolver S)
{
  (void)S;
  return SUNLINEARSOLVER_DIRECT;
}

static SUNLinearSolver_ID lu_getid(SUNLinearSolver S)
{
  (void)S;
  return SUNLINEARSOLVER_CUSTOM;
}

static int lu_initialize(SUNLinearSolver S)
{
  LCONTENT(S)->last_flag = SUNLS_SUCCESS;
  return SUNLS_SUCCESS;
}

static int lu_setup(SUNLinearSolver S, SUNMatrix A)
{
  if (S == NULL || A == NULL) return SUNLS_MEM_NULL;
  lu_content *c = LCONTENT(S);
  if (!is_dense(A) || MCONTENT(A)->M != c->n || MCONTENT(A)->N != c->n) {
    c->last_flag = SUNLS_ILL_INPUT;
    return SUNLS_ILL_INPUT;
  }
  if (MCONTENT(A)->cols == NULL || c->pivots == NULL) {
    c->last_flag = SUNLS_MEM_FAIL;
    return SUNLS_MEM_FAIL;
  }
  c->last_flag = lu_factor(MCONTENT(A)->cols, c->n, c->n, c->pivots);
  return (c->last_flag > 0) ? SUNLS_LUFACT_FAIL : SUNLS_SUCCESS;
}

static int lu_solve_op(SUNLinearSolver S, SUNMatrix A, N_Vector x, N_Vector b, real tol)
{
  (void)tol;
  if (S == NULL || A == NULL || x == NULL || b == NULL) return SUNLS_MEM_NULL;
  lu_content *c = LCONTENT(S);

  /* x = b (as the stock solver: N_VScale(1, b, x)) */
  N_VScale(1.0, b, x);

  real *xd = N_VGetArrayPointer(x);
  if (!is_dense(A) || MCONTENT(A)->cols == NULL || xd == NULL || c->pivots == NULL) {
    c->last_flag = SUNLS_MEM_FAIL;
    return SUNLS_MEM_FAIL;
  }
  lu_solve(MCONTENT(A)->cols, c->n, c->pivots, xd);
  c->last_flag = SUNLS_SUCCESS;
  return SUNLS_SUCCESS;
}

static sunindextype lu_lastflag(SUNLinearSolver S)
{
  if (S == NULL) return -1;
  return LCONTENT(S)->last_flag;
}

static int lu_space(SUNLinearSolver S, long int *lenrw, long int *leniw)
{
  *leniw = 2 + (long int)LCONTENT(S)->n;
  *lenrw = 0;
  return SUNLS_SUCCESS;
}

static int lu_free(SUNLinearSolver S)
{
  if (S == NULL) return SUNLS_SUCCESS;
  if (S->content != NULL) {
    free(LCONTENT(S)->pivots);
    free(S->content);
    S->content = NULL;
  }
  if (S->ops != NULL) {
    free(S->ops);
    S->ops = NULL;
  }
  free(S);
  return SUNLS_SUCCESS;
}

SUNLinearSolver cascade_dense_lu_new(N_Vector y, SUNMatrix A, SUNContext ctx)
{
  if (y == NULL || A == NULL || ctx == NULL) return NULL;
  if (!is_dense(A)) return NULL;
  const idx n = MCONTENT(A)->M;
  if (MCONTENT(A)->N != n || n <= 0) return NULL;
  if (N_VGetVectorID(y) != SUNDIALS_NVEC_SERIAL) return NULL;
  if (N_VGetLength(y) != n) return NULL;

  SUNLinearSolver S = SUNLinSolNewEmpty(ctx);
  if (S == NULL) return NULL;

  S->ops->gettype    = lu_gettype;
  S->ops->getid      = lu_getid;
  S->ops->initialize = lu_initialize;
  S->ops->setup      = lu_setup;
  S->ops->solve      = lu_solve_op;
  S->ops->lastflag   = lu_lastflag;
  S->ops->space      = lu_space;
  S->ops->free       = lu_free;

  lu_content *c = (lu_content *)malloc(sizeof *c);
  if (c == NULL) { lu_free(S); return NULL; }
  c->n = n;
  c->last_flag = 0;
  c->pivots = (idx *)malloc((size_t)n * sizeof(idx));
  S->content = c;
  if (c->pivots == NULL) { lu_free(S); return NULL; }
  return S;
}

const sunindextype *cascade_dense_lu_pivots(SUNLinearSolver S)
{
  if (S == NULL || S->ops == NULL || S->ops->setup != lu_setup || S->content == NULL)
    return NULL;
  return LCONTENT(S)->pivots;
}
