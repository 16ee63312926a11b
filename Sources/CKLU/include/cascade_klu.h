#ifndef CASCADE_KLU_H
#define CASCADE_KLU_H
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>
#include <sundials/sundials_nvector.h>
#include <sundials/sundials_context.h>

/// Creates a KLU sparse direct solver for a CSC matrix. Returns NULL on failure.
SUNLinearSolver cascade_klu_new(N_Vector y, SUNMatrix A, SUNContext ctx);

/// KLU's fill-reducing ordering (0 AMD, 1 COLAMD, 2 natural), called directly: a run-time lookup
/// through the global scope misses the KLU interface when the library is loaded with dlopen
/// (RTLD_LOCAL, as Python's ctypes does), which left that caller on a different ordering.
int cascade_klu_set_ordering(SUNLinearSolver S, int ordering);
#endif
