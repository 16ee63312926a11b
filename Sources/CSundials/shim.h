#ifndef CASCADE_CSUNDIALS_SHIM_H
#define CASCADE_CSUNDIALS_SHIM_H
/* CVODES, not CVODE: it is CVODE plus forward and adjoint sensitivity analysis, with the same
   functions under the same names (so the two libraries must never be linked together). Without
   sensitivities enabled it takes the same steps as CVODE: trajectories are bit for bit those of
   CVODE 6.4 (checked on the SBML Test Suite, `cascade check` and the PEtab benchmarks).
   IDA integrates the differential-algebraic models (algebraic rules that are not affine in the
   variable they determine, fast reactions); its functions are prefixed IDA, so it links beside
   CVODES (IDAS, IDA with sensitivities, must not be linked with IDA). */
#include <cvodes/cvodes.h>
#include <cvodes/cvodes_ls.h>
#include <ida/ida.h>
#include <ida/ida_ls.h>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_types.h>
#endif
