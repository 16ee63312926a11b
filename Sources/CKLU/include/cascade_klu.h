#ifndef CASCADE_KLU_H
#define CASCADE_KLU_H
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>
#include <sundials/sundials_nvector.h>
#include <sundials/sundials_context.h>

/// Creates a KLU sparse direct solver for a CSC matrix. Returns NULL on failure.
SUNLinearSolver cascade_klu_new(N_Vector y, SUNMatrix A, SUNContext ctx);
#endif
