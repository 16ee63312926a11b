/* Cascade's C ABI: the library behind the `cascade` command line, as a shared library
 * (`swift build -c release --product CascadeC` gives .build/release/libCascadeC.so).
 *
 * Conventions
 * - Every call that can fail returns a status: 0 success, 1 bad input or a failed simulation
 *   (the command line's exit code 1), 2 a bad argument (exit code 2). On failure `*error`
 *   receives {"message", "file", "line", "column"} as JSON; the message is the one the
 *   command line prints, file/line/column are null where the error has none.
 * - Strings and arrays the library returns are malloc'd and freed with cascade_free. Handles
 *   are freed with cascade_model_free / cascade_problem_free. Out-pointers may be NULL when
 *   the caller does not want that result.
 * - `threads` 0 means every active core. Calls on one handle may run on several threads at
 *   once (each takes its own simulator); a handle must not be freed while a call uses it.
 */
#ifndef CASCADE_H
#define CASCADE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

char *cascade_version(void);
void cascade_free(void *p);
/* A time as the command line reads it ("90", "30 min", "2 h", "3 d") in seconds. */
int32_t cascade_time_seconds(const char *text, double *seconds, char **error);

/* Models: from a file (path) or from text (SBML when it starts with '<', Antimony otherwise). */
int32_t cascade_model_load(const char *path, const char *text, const char *name, void **model, char **error);
void cascade_model_free(void *model);
int32_t cascade_model_info(void *model, char **json, char **error);

/* The columns cascade_model_simulate reports for variables/amounts (comma-separated ids; NULL:
 * every species / none as amounts): *ids joined by '\n', *count of them. */
int32_t cascade_model_columns(void *model, const char *variables, const char *amounts, char **ids, int64_t *count,
                              char **error);

/* cascade simulate: steps + 1 rows from start to end, or the n_times rows at times (ascending,
 * none before start); n_set overrides as --set. The rows go into the caller's out, row-major,
 * time first then the columns: out_size = rows x (columns + 1). *warnings: NULL or lines. */
int32_t cascade_model_simulate(void *model, double start, double end, int64_t steps, int64_t n_times,
                               const double *times, const char *variables, const char *amounts, int64_t n_set,
                               const char *const *set_ids, const double *set_values, double rtol, double atol,
                               int64_t max_steps, double *out, int64_t out_size, char **warnings, char **error);

/* n_sets parameter sets (values: n_sets x n_ids, NaN keeps the model's value) on worker threads
 * (ParallelRunner); out: n_sets blocks laid out as above (out_size = n_sets x rows x (columns + 1)). */
int32_t cascade_model_simulate_batch(void *model, double start, double end, int64_t steps, int64_t n_times,
                                     const double *times, const char *variables, const char *amounts, int64_t n_sets,
                                     int64_t n_ids, const char *const *ids, const double *values, double rtol,
                                     double atol, int64_t max_steps, int64_t threads, double *out, int64_t out_size,
                                     char **error);

/* cascade knockouts EXPERIMENT --format json (NaN thresholds keep the experiment's). */
int32_t cascade_knockouts(const char *experiment, double minimum_fold, double retained_changed,
                          double retained_blocked, int64_t threads, char **json, char **error);

/* cascade sweep EXPERIMENT --output F [--fold-changes F2]: the texts of F, F.meta.json, F2. */
int32_t cascade_sweep(const char *experiment, int64_t threads, int32_t fold_changes, char **csv, char **fold_csv,
                      char **metadata, char **error);

/* cascade petab PROBLEM: the PEtab simulation table (TSV). */
int32_t cascade_petab_simulate(const char *problem, double rtol, double atol, int64_t max_steps, int64_t threads,
                               char **tsv, char **error);

/* cascade likelihood PROBLEM [--parameters TABLE] [--gradient]. */
int32_t cascade_problem_load(const char *path, double rtol, double atol, int64_t max_steps, void **problem,
                             char **json, char **error);
void cascade_problem_free(void *problem);
/* theta: one value per estimated parameter (NaN keeps the nominal value), on the parameters'
 * scales or, with linear non-zero, on the linear scale; NULL with table NULL: nominal values. */
int32_t cascade_problem_likelihood(void *problem, const double *theta, int32_t linear, const char *table,
                                   int32_t gradient, int64_t threads, double *llh, double *chi2, double *gradient_out,
                                   char **error);

/* cascade fit PROBLEM [--output DIR]: {"summary", "starts", "parameters"}. */
int32_t cascade_fit(const char *problem, int64_t starts, uint64_t seed, int64_t threads, int64_t max_iterations,
                    int32_t bfgs, int64_t hybrid, double ftol, double gtol, double rtol, double atol, int64_t max_steps,
                    const char *output, int32_t report, char **json, char **error);

#ifdef __cplusplus
}
#endif
#endif
