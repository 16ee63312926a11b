/* CASCADE_WIDE: compile a kernel twice, for AVX2 and for the baseline, and let the loader pick
   by CPU (target_clones). Only wider registers: no FMA (-ffp-contract=off), the same operations
   in the same order, so the results are bit-identical either way. */
#ifndef CASCADE_WIDE_H
#define CASCADE_WIDE_H
#if defined(__x86_64__) && defined(__clang__)
#define CASCADE_WIDE __attribute__((target_clones("avx2", "default")))
#else
#define CASCADE_WIDE
#endif
#endif
