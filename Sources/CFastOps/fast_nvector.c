/*
 * Optimised serial N_Vector operations for SUNDIALS 6.x.
 *
 * Each operation performs the same floating-point operations, in the same
 * order and with the same special cases, as the stock serial N_Vector in
 * SUNDIALS 6.4.1, so results are bit-identical. Reductions are strictly
 * sequential; this file is compiled with -O2 -ffp-contract=off and without
 * fast-math, so the compiler may vectorise element-wise loops but may neither
 * reassociate sums nor contract a*b+c into an FMA.
 */

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <nvector/nvector_serial.h>

#include "cascade_fastops.h"

#include "wide.h"

typedef sunrealtype real;
typedef sunindextype idx;

#define VLEN(v)  (((N_VectorContent_Serial)((v)->content))->length)
#define VDATA(v) (((N_VectorContent_Serial)((v)->content))->data)

/* sqrt as SUNDIALS' SUNRsqrt: non-positive arguments give zero. IEEE square root is
   correctly rounded, so the hardware instruction and libm's sqrt give the same bits; the
   builtin (no errno handling) avoids a libm dependency of this target. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define CASCADE_SQRT(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef CASCADE_SQRT
#define CASCADE_SQRT(x) sqrt(x)
#endif
static inline real safe_sqrt(real x) { return (x <= 0.0) ? 0.0 : CASCADE_SQRT(x); }

/* ------------------------------------------------------------------------
 * Element-wise kernels. Each computes z[i] from x[i] (and y[i]) only, so the
 * operands may be the same vector; the compiler checks for overlap at run
 * time before using SIMD.
 * ------------------------------------------------------------------------ */

static void k_copy(idx n, const real *x, real *z)
{ for (idx i = 0; i < n; i++) z[i] = x[i]; }

static void k_neg(idx n, const real *x, real *z)
{ for (idx i = 0; i < n; i++) z[i] = -x[i]; }

static void k_sum(idx n, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = x[i] + y[i]; }

static void k_diff(idx n, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = x[i] - y[i]; }

/* z = c*(x+y) */
static void k_scale_sum(idx n, real c, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = c * (x[i] + y[i]); }

/* z = c*(x-y) */
static void k_scale_diff(idx n, real c, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = c * (x[i] - y[i]); }

/* z = a*x + y */
static void k_lin1(idx n, real a, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = (a * x[i]) + y[i]; }

/* z = a*x - y */
static void k_lin2(idx n, real a, const real *x, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = (a * x[i]) - y[i]; }

/* z = a*x + b*y */
static void k_axpby(idx n, real a, const real *x, real b, const real *y, real *z)
{ for (idx i = 0; i < n; i++) z[i] = (a * x[i]) + (b * y[i]); }

/* y <- a*x + y, with the a == +-1 shortcuts of the stock ops */
static void k_axpy(idx n, real a, const real *x, real *y)
{
  if (a == 1.0) {
    for (idx i = 0; i < n; i++) y[i] += x[i];
  } else if (a == -1.0) {
    for (idx i = 0; i < n; i++) y[i] -= x[i];
  } else {
    for (idx i = 0; i < n; i++) y[i] += a * x[i];
  }
}

/* x <- a*x */
static void k_scale_by(idx n, real a, real *x)
{ for (idx i = 0; i < n; i++) x[i] *= a; }

/* Sum of (x[i]*w[i])^2, sequential. */
static real k_wsqrsum(idx n, const real *x, const real *w)
{
  real s = 0.0;
  for (idx i = 0; i < n; i++) {
    real p = x[i] * w[i];
    s += p * p;
  }
  return s;
}

/* Same, only where id[i] > 0. */
static real k_wsqrsum_mask(idx n, const real *x, const real *w, const real *id)
{
  real s = 0.0;
  for (idx i = 0; i < n; i++) {
    if (id[i] > 0.0) {
      real p = x[i] * w[i];
      s += p * p;
    }
  }
  return s;
}

/* ------------------------------------------------------------------------
 * Standard vector operations
 * ------------------------------------------------------------------------ */

CASCADE_WIDE static void fv_linearsum(real a, N_Vector x, real b, N_Vector y, N_Vector z)
{
  const idx n = VLEN(x);
  real *xd = VDATA(x), *yd = VDATA(y), *zd = VDATA(z);

  if (b == 1.0 && z == y) { k_axpy(n, a, xd, yd); return; }
  if (a == 1.0 && z == x) { k_axpy(n, b, yd, xd); return; }
  if (a == 1.0 && b == 1.0) { k_sum(n, xd, yd, zd); return; }
  if (a == 1.0 && b == -1.0) { k_diff(n, xd, yd, zd); return; }
  if (a == -1.0 && b == 1.0) { k_diff(n, yd, xd, zd); return; }
  /* one coefficient is 1: z = c*v + w with w the vector whose coefficient is 1 */
  if (a == 1.0) { k_lin1(n, b, yd, xd, zd); return; }
  if (b == 1.0) { k_lin1(n, a, xd, yd, zd); return; }
  /* one coefficient is -1: z = c*v - w with w the vector whose coefficient is -1 */
  if (a == -1.0) { k_lin2(n, b, yd, xd, zd); return; }
  if (b == -1.0) { k_lin2(n, a, xd, yd, zd); return; }
  if (a == b) { k_scale_sum(n, a, xd, yd, zd); return; }
  if (a == -b) { k_scale_diff(n, a, xd, yd, zd); return; }
  k_axpby(n, a, xd, b, yd, zd);
}

static void fv_const(real c, N_Vector z)
{
  const idx n = VLEN(z);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = c;
}

static void fv_prod(N_Vector x, N_Vector y, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x), *yd = VDATA(y);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = xd[i] * yd[i];
}

static void fv_div(N_Vector x, N_Vector y, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x), *yd = VDATA(y);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = xd[i] / yd[i];
}

CASCADE_WIDE static void fv_scale(real c, N_Vector x, N_Vector z)
{
  const idx n = VLEN(x);
  real *xd = VDATA(x), *zd = VDATA(z);
  if (z == x) { k_scale_by(n, c, xd); return; }
  if (c == 1.0) { k_copy(n, xd, zd); return; }
  if (c == -1.0) { k_neg(n, xd, zd); return; }
  for (idx i = 0; i < n; i++) zd[i] = c * xd[i];
}

static void fv_abs(N_Vector x, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = fabs(xd[i]);
}

static void fv_inv(N_Vector x, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = 1.0 / xd[i];
}

static void fv_addconst(N_Vector x, real b, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = xd[i] + b;
}

static real fv_dotprod(N_Vector x, N_Vector y)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x), *yd = VDATA(y);
  real s = 0.0;
  for (idx i = 0; i < n; i++) s += xd[i] * yd[i];
  return s;
}

static real fv_maxnorm(N_Vector x)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real m = 0.0;
  for (idx i = 0; i < n; i++) {
    real a = fabs(xd[i]);
    if (a > m) m = a;
  }
  return m;
}

static real fv_wsqrsumlocal(N_Vector x, N_Vector w)
{
  return k_wsqrsum(VLEN(x), VDATA(x), VDATA(w));
}

static real fv_wsqrsummasklocal(N_Vector x, N_Vector w, N_Vector id)
{
  return k_wsqrsum_mask(VLEN(x), VDATA(x), VDATA(w), VDATA(id));
}

static real fv_wrmsnorm(N_Vector x, N_Vector w)
{
  const idx n = VLEN(x);
  return safe_sqrt(k_wsqrsum(n, VDATA(x), VDATA(w)) / (real)n);
}

static real fv_wrmsnormmask(N_Vector x, N_Vector w, N_Vector id)
{
  const idx n = VLEN(x);
  return safe_sqrt(k_wsqrsum_mask(n, VDATA(x), VDATA(w), VDATA(id)) / (real)n);
}

static real fv_min(N_Vector x)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  if (n <= 0) return DBL_MAX;
  real m = xd[0];
  for (idx i = 1; i < n; i++) {
    if (xd[i] < m) m = xd[i];
  }
  return m;
}

static real fv_wl2norm(N_Vector x, N_Vector w)
{
  return safe_sqrt(k_wsqrsum(VLEN(x), VDATA(x), VDATA(w)));
}

static real fv_l1norm(N_Vector x)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real s = 0.0;
  for (idx i = 0; i < n; i++) s += fabs(xd[i]);
  return s;
}

static void fv_compare(real c, N_Vector x, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real *zd = VDATA(z);
  for (idx i = 0; i < n; i++) zd[i] = (fabs(xd[i]) >= c) ? 1.0 : 0.0;
}

static sunbooleantype fv_invtest(N_Vector x, N_Vector z)
{
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  real *zd = VDATA(z);
  sunbooleantype ok = SUNTRUE;
  /* like the stock op: z[i] is left untouched where x[i] == 0 */
  for (idx i = 0; i < n; i++) {
    if (xd[i] == 0.0) ok = SUNFALSE;
    else zd[i] = 1.0 / xd[i];
  }
  return ok;
}

static sunbooleantype fv_constrmask(N_Vector c, N_Vector x, N_Vector m)
{
  const idx n = VLEN(x);
  const real *cd = VDATA(c), *xd = VDATA(x);
  real *md = VDATA(m);
  sunbooleantype ok = SUNTRUE;
  for (idx i = 0; i < n; i++) {
    md[i] = 0.0;
    const real ci = cd[i];
    if (ci == 0.0) continue;
    const real p = xd[i] * ci;
    const real ac = fabs(ci);
    /* |c| = 2: x must be > 0 (or < 0); |c| = 1: x must be >= 0 (or <= 0) */
    if ((ac > 1.5 && p <= 0.0) || (ac > 0.5 && p < 0.0)) {
      md[i] = 1.0;
      ok = SUNFALSE;
    }
  }
  return ok;
}

static real fv_minquotient(N_Vector num, N_Vector denom)
{
  const idx n = VLEN(num);
  const real *nd = VDATA(num), *dd = VDATA(denom);
  real m = DBL_MAX;
  int first = 1;
  for (idx i = 0; i < n; i++) {
    if (dd[i] == 0.0) continue;
    const real q = nd[i] / dd[i];
    if (first) { m = q; first = 0; }
    else m = (m < q) ? m : q;
  }
  return m;
}

/* ------------------------------------------------------------------------
 * Fused operations
 * ------------------------------------------------------------------------ */

CASCADE_WIDE static int fv_linearcombination(int nvec, real *c, N_Vector *X, N_Vector z)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { fv_scale(c[0], X[0], z); return 0; }
  if (nvec == 2) { fv_linearsum(c[0], X[0], c[1], X[1], z); return 0; }

  const idx n = VLEN(z);
  real *zd = VDATA(z);

  if (X[0] == z) {
    if (c[0] != 1.0) k_scale_by(n, c[0], zd);
  } else {
    const real *xd = VDATA(X[0]);
    const real c0 = c[0];
    for (idx j = 0; j < n; j++) zd[j] = c0 * xd[j];
  }
  for (int i = 1; i < nvec; i++) {
    const real *xd = VDATA(X[i]);
    const real ci = c[i];
    for (idx j = 0; j < n; j++) zd[j] += ci * xd[j];
  }
  return 0;
}

CASCADE_WIDE static int fv_scaleaddmulti(int nvec, real *a, N_Vector x, N_Vector *Y, N_Vector *Z)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { fv_linearsum(a[0], x, 1.0, Y[0], Z[0]); return 0; }

  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  if (Y == Z) {
    for (int i = 0; i < nvec; i++) {
      real *yd = VDATA(Y[i]);
      const real ai = a[i];
      for (idx j = 0; j < n; j++) yd[j] += ai * xd[j];
    }
    return 0;
  }
  for (int i = 0; i < nvec; i++) {
    const real *yd = VDATA(Y[i]);
    real *zd = VDATA(Z[i]);
    const real ai = a[i];
    for (idx j = 0; j < n; j++) zd[j] = ai * xd[j] + yd[j];
  }
  return 0;
}

static int fv_dotprodmulti(int nvec, N_Vector x, N_Vector *Y, real *dots)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { dots[0] = fv_dotprod(x, Y[0]); return 0; }
  const idx n = VLEN(x);
  const real *xd = VDATA(x);
  for (int i = 0; i < nvec; i++) {
    const real *yd = VDATA(Y[i]);
    real s = 0.0;
    for (idx j = 0; j < n; j++) s += xd[j] * yd[j];
    dots[i] = s;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Vector array operations
 * ------------------------------------------------------------------------ */

static int fv_linearsumvectorarray(int nvec, real a, N_Vector *X, real b, N_Vector *Y,
                                   N_Vector *Z)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { fv_linearsum(a, X[0], b, Y[0], Z[0]); return 0; }

  const idx n = VLEN(Z[0]);
  /* The same case analysis as the single-vector op, but decided on the arrays
     (Z == Y means the arrays are the same, as in the stock op). */
  enum { AXPY_XY, AXPY_YX, SUM, DIFF_XY, DIFF_YX, LIN1_YX, LIN1_XY, LIN2_YX, LIN2_XY,
         SSUM, SDIFF, GENERAL } kind;
  if (b == 1.0 && Z == Y) kind = AXPY_XY;
  else if (a == 1.0 && Z == X) kind = AXPY_YX;
  else if (a == 1.0 && b == 1.0) kind = SUM;
  else if (a == 1.0 && b == -1.0) kind = DIFF_XY;
  else if (a == -1.0 && b == 1.0) kind = DIFF_YX;
  else if (a == 1.0) kind = LIN1_YX;
  else if (b == 1.0) kind = LIN1_XY;
  else if (a == -1.0) kind = LIN2_YX;
  else if (b == -1.0) kind = LIN2_XY;
  else if (a == b) kind = SSUM;
  else if (a == -b) kind = SDIFF;
  else kind = GENERAL;

  for (int i = 0; i < nvec; i++) {
    real *xd = VDATA(X[i]), *yd = VDATA(Y[i]), *zd = VDATA(Z[i]);
    switch (kind) {
    case AXPY_XY: k_axpy(n, a, xd, yd); break;
    case AXPY_YX: k_axpy(n, b, yd, xd); break;
    case SUM:     k_sum(n, xd, yd, zd); break;
    case DIFF_XY: k_diff(n, xd, yd, zd); break;
    case DIFF_YX: k_diff(n, yd, xd, zd); break;
    case LIN1_YX: k_lin1(n, b, yd, xd, zd); break;
    case LIN1_XY: k_lin1(n, a, xd, yd, zd); break;
    case LIN2_YX: k_lin2(n, b, yd, xd, zd); break;
    case LIN2_XY: k_lin2(n, a, xd, yd, zd); break;
    case SSUM:    k_scale_sum(n, a, xd, yd, zd); break;
    case SDIFF:   k_scale_diff(n, a, xd, yd, zd); break;
    case GENERAL: k_axpby(n, a, xd, b, yd, zd); break;
    }
  }
  return 0;
}

static int fv_scalevectorarray(int nvec, real *c, N_Vector *X, N_Vector *Z)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { fv_scale(c[0], X[0], Z[0]); return 0; }
  const idx n = VLEN(Z[0]);
  for (int i = 0; i < nvec; i++) {
    const real ci = c[i];
    if (X == Z) {
      k_scale_by(n, ci, VDATA(X[i]));
    } else {
      const real *xd = VDATA(X[i]);
      real *zd = VDATA(Z[i]);
      for (idx j = 0; j < n; j++) zd[j] = ci * xd[j];
    }
  }
  return 0;
}

static int fv_constvectorarray(int nvec, real c, N_Vector *Z)
{
  if (nvec < 1) return -1;
  for (int i = 0; i < nvec; i++) fv_const(c, Z[i]);
  return 0;
}

static int fv_wrmsnormvectorarray(int nvec, N_Vector *X, N_Vector *W, real *nrm)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { nrm[0] = fv_wrmsnorm(X[0], W[0]); return 0; }
  const idx n = VLEN(X[0]);
  for (int i = 0; i < nvec; i++)
    nrm[i] = safe_sqrt(k_wsqrsum(n, VDATA(X[i]), VDATA(W[i])) / (real)n);
  return 0;
}

static int fv_wrmsnormmaskvectorarray(int nvec, N_Vector *X, N_Vector *W, N_Vector id,
                                      real *nrm)
{
  if (nvec < 1) return -1;
  if (nvec == 1) { nrm[0] = fv_wrmsnormmask(X[0], W[0], id); return 0; }
  const idx n = VLEN(X[0]);
  const real *idd = VDATA(id);
  for (int i = 0; i < nvec; i++)
    nrm[i] = safe_sqrt(k_wsqrsum_mask(n, VDATA(X[i]), VDATA(W[i]), idd) / (real)n);
  return 0;
}

static int fv_scaleaddmultivectorarray(int nvec, int nsum, real *a, N_Vector *X,
                                       N_Vector **Y, N_Vector **Z)
{
  if (nvec < 1 || nsum < 1) return -1;

  if (nvec == 1) {
    if (nsum == 1) { fv_linearsum(a[0], X[0], 1.0, Y[0][0], Z[0][0]); return 0; }
    N_Vector *YY = (N_Vector *)malloc((size_t)nsum * sizeof(N_Vector));
    N_Vector *ZZ = (N_Vector *)malloc((size_t)nsum * sizeof(N_Vector));
    int ret = -1;
    if (YY != NULL && ZZ != NULL) {
      for (int j = 0; j < nsum; j++) { YY[j] = Y[j][0]; ZZ[j] = Z[j][0]; }
      ret = fv_scaleaddmulti(nsum, a, X[0], YY, ZZ);
    }
    free(YY);
    free(ZZ);
    return ret;
  }

  if (nsum == 1) return fv_linearsumvectorarray(nvec, a[0], X, 1.0, Y[0], Z[0]);

  const idx n = VLEN(X[0]);
  for (int i = 0; i < nvec; i++) {
    const real *xd = VDATA(X[i]);
    for (int j = 0; j < nsum; j++) {
      const real aj = a[j];
      if (Y == Z) {
        real *yd = VDATA(Y[j][i]);
        for (idx k = 0; k < n; k++) yd[k] += aj * xd[k];
      } else {
        const real *yd = VDATA(Y[j][i]);
        real *zd = VDATA(Z[j][i]);
        for (idx k = 0; k < n; k++) zd[k] = aj * xd[k] + yd[k];
      }
    }
  }
  return 0;
}

static int fv_linearcombinationvectorarray(int nvec, int nsum, real *c, N_Vector **X,
                                           N_Vector *Z)
{
  if (nvec < 1 || nsum < 1) return -1;

  if (nvec == 1) {
    if (nsum == 1) { fv_scale(c[0], X[0][0], Z[0]); return 0; }
    if (nsum == 2) { fv_linearsum(c[0], X[0][0], c[1], X[1][0], Z[0]); return 0; }
    N_Vector *Y = (N_Vector *)malloc((size_t)nsum * sizeof(N_Vector));
    if (Y == NULL) return -1;
    for (int i = 0; i < nsum; i++) Y[i] = X[i][0];
    int ret = fv_linearcombination(nsum, c, Y, Z[0]);
    free(Y);
    return ret;
  }

  if (nsum == 1) {
    real *ctmp = (real *)malloc((size_t)nvec * sizeof(real));
    if (ctmp == NULL) return -1;
    for (int j = 0; j < nvec; j++) ctmp[j] = c[0];
    int ret = fv_scalevectorarray(nvec, ctmp, X[0], Z);
    free(ctmp);
    return ret;
  }
  if (nsum == 2) return fv_linearsumvectorarray(nvec, c[0], X[0], c[1], X[1], Z);

  const idx n = VLEN(Z[0]);
  for (int j = 0; j < nvec; j++) {
    real *zd = VDATA(Z[j]);
    if (X[0] == Z) {
      if (c[0] != 1.0) k_scale_by(n, c[0], zd);
    } else {
      const real *xd = VDATA(X[0][j]);
      const real c0 = c[0];
      for (idx k = 0; k < n; k++) zd[k] = c0 * xd[k];
    }
    for (int i = 1; i < nsum; i++) {
      const real *xd = VDATA(X[i][j]);
      const real ci = c[i];
      for (idx k = 0; k < n; k++) zd[k] += ci * xd[k];
    }
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Installation
 * ------------------------------------------------------------------------ */

static int is_serial(N_Vector v)
{
  return v != NULL && v->ops != NULL && v->content != NULL &&
         v->ops->nvgetvectorid == N_VGetVectorID_Serial &&
         v->ops->nvclone == N_VClone_Serial &&
         v->ops->nvcloneempty == N_VCloneEmpty_Serial;
}

int cascade_fastops_nvector_is_installed(N_Vector v)
{
  return is_serial(v) && v->ops->nvlinearsum == fv_linearsum;
}

/* Replace op with ours if it is enabled (non-NULL), keep it NULL otherwise. */
#define SWAP_IF_ENABLED(field, impl) \
  do { if (ops->field != NULL) ops->field = (impl); } while (0)

int cascade_fastops_install_nvector(N_Vector v)
{
  if (!is_serial(v)) return -1;
  N_Vector_Ops ops = v->ops;

  /* Constructors, destructor, id, space, array pointer and length stay stock:
     N_VClone_Serial / N_VCloneEmpty_Serial copy the whole ops table (N_VCopyOps),
     so every clone inherits what is installed here. */

  /* standard vector operations */
  ops->nvlinearsum    = fv_linearsum;
  ops->nvconst        = fv_const;
  ops->nvprod         = fv_prod;
  ops->nvdiv          = fv_div;
  ops->nvscale        = fv_scale;
  ops->nvabs          = fv_abs;
  ops->nvinv          = fv_inv;
  ops->nvaddconst     = fv_addconst;
  ops->nvdotprod      = fv_dotprod;
  ops->nvmaxnorm      = fv_maxnorm;
  ops->nvwrmsnormmask = fv_wrmsnormmask;
  ops->nvwrmsnorm     = fv_wrmsnorm;
  ops->nvmin          = fv_min;
  ops->nvwl2norm      = fv_wl2norm;
  ops->nvl1norm       = fv_l1norm;
  ops->nvcompare      = fv_compare;
  ops->nvinvtest      = fv_invtest;
  ops->nvconstrmask   = fv_constrmask;
  ops->nvminquotient  = fv_minquotient;

  /* fused and vector-array operations: keep the current enablement */
  SWAP_IF_ENABLED(nvlinearcombination, fv_linearcombination);
  SWAP_IF_ENABLED(nvscaleaddmulti, fv_scaleaddmulti);
  SWAP_IF_ENABLED(nvdotprodmulti, fv_dotprodmulti);
  SWAP_IF_ENABLED(nvlinearsumvectorarray, fv_linearsumvectorarray);
  SWAP_IF_ENABLED(nvscalevectorarray, fv_scalevectorarray);
  SWAP_IF_ENABLED(nvconstvectorarray, fv_constvectorarray);
  SWAP_IF_ENABLED(nvwrmsnormvectorarray, fv_wrmsnormvectorarray);
  SWAP_IF_ENABLED(nvwrmsnormmaskvectorarray, fv_wrmsnormmaskvectorarray);
  SWAP_IF_ENABLED(nvscaleaddmultivectorarray, fv_scaleaddmultivectorarray);
  SWAP_IF_ENABLED(nvlinearcombinationvectorarray, fv_linearcombinationvectorarray);

  /* local reductions (all provided by the stock serial vector) */
  ops->nvdotprodlocal     = fv_dotprod;
  ops->nvmaxnormlocal     = fv_maxnorm;
  ops->nvminlocal         = fv_min;
  ops->nvl1normlocal      = fv_l1norm;
  ops->nvinvtestlocal     = fv_invtest;
  ops->nvconstrmasklocal  = fv_constrmask;
  ops->nvminquotientlocal = fv_minquotient;
  ops->nvwsqrsumlocal     = fv_wsqrsumlocal;
  ops->nvwsqrsummasklocal = fv_wsqrsummasklocal;

  /* single-buffer reduction: enabled by default on stock serial vectors */
  SWAP_IF_ENABLED(nvdotprodmultilocal, fv_dotprodmulti);

  return 0;
}

int cascade_fastops_enable_fused_ops(N_Vector v, int enable)
{
  if (!cascade_fastops_nvector_is_installed(v)) return -1;
  N_Vector_Ops ops = v->ops;
  ops->nvlinearcombination            = enable ? fv_linearcombination : NULL;
  ops->nvscaleaddmulti                = enable ? fv_scaleaddmulti : NULL;
  ops->nvdotprodmulti                 = enable ? fv_dotprodmulti : NULL;
  ops->nvlinearsumvectorarray         = enable ? fv_linearsumvectorarray : NULL;
  ops->nvscalevectorarray             = enable ? fv_scalevectorarray : NULL;
  ops->nvconstvectorarray             = enable ? fv_constvectorarray : NULL;
  ops->nvwrmsnormvectorarray          = enable ? fv_wrmsnormvectorarray : NULL;
  ops->nvwrmsnormmaskvectorarray      = enable ? fv_wrmsnormmaskvectorarray : NULL;
  ops->nvscaleaddmultivectorarray     = enable ? fv_scaleaddmultivectorarray : NULL;
  ops->nvlinearcombinationvectorarray = enable ? fv_linearcombinationvectorarray : NULL;
  ops->nvdotprodmultilocal            = enable ? fv_dotprodmulti : NULL;
  return 0;
}
