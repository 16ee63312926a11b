#include "cascade_klu.h"
#include <sunlinsol/sunlinsol_klu.h>

SUNLinearSolver cascade_klu_new(N_Vector y, SUNMatrix A, SUNContext ctx) {
    return SUNLinSol_KLU(y, A, ctx);
}

int cascade_klu_set_ordering(SUNLinearSolver S, int ordering) {
    return SUNLinSol_KLUSetOrdering(S, ordering);
}
