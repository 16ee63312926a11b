#ifndef CASCADE_CSUNDIALS_SHIM_H
#define CASCADE_CSUNDIALS_SHIM_H
#include <cvode/cvode.h>
#include <cvode/cvode_ls.h>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_types.h>
#endif
