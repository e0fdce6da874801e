/**
 * @file rank.h
 * @brief Ranking utilities that combine or cut the outputs of other modules: late fusion of
 *        ranked candidate lists (reciprocal-rank or weighted normalised scores, e.g. BM25 with
 *        vector recall), score-level fusion of several models over the same users with weights
 *        fitted by top-N precision, and a linear coarse pre-ranker.
 *
 * @defgroup rank Ranking: fusion and coarse ranking
 * @{
 *
 * All functions are pure (no handle) and thread-safe; they take caller arrays and write into
 * caller buffers. Output buffers follow the library-wide ::GROWTH_EBUFS rule: a function that
 * reports a count in `size_t *out_n` (which may be NULL) stores the entries written on
 * ::GROWTH_OK; when `cap` is too small it returns ::GROWTH_EBUFS (after every other check),
 * stores the exact capacity that suffices in `*out_n` and writes nothing into the output
 * buffers; on any other failure `*out_n` is 0. Functions whose capacity follows from their
 * arguments (cap >= n, cap >= nmodels) have no count and write nothing on ::GROWTH_EBUFS.
 *
 * @code
 * const int64_t *ids[2] = {bm25_ids, vec_ids};
 * size_t lens[2] = {n_bm25, n_vec}, n;
 * int64_t out[20]; float fused[20];
 * growth_rank_fuse_lists(ids, NULL, lens, NULL, 2, 20, "method=rrf rrf_k=60", out, fused, 20, &n);
 * @endcode
 */
#ifndef GROWTH_RANK_H
#define GROWTH_RANK_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- list fusion: candidate lists of ids from several recall channels ------------------ */

/**
 * @brief Fuses `n_lists` ranked candidate lists (e.g. BM25 and vector recall) into one
 *        de-duplicated top-k list.
 *
 * Configuration (`config`, NULL or "" for the defaults):
 * | key       | default | meaning |
 * |-----------|---------|---------|
 * | method    | rrf     | `rrf`: fused(d) = sum_l w_l / (rrf_k + rank_l(d)), rank 1-based by position; `weighted`: fused(d) = sum_l w_l norm_l(score_l(d)) |
 * | rrf_k     | 60      | RRF constant, > 0 |
 * | normalize | minmax  | `weighted` only: `minmax`, `max` or `none` (below) |
 *
 * Normalisation of list l's scores s (over its own entries, repeats included):
 * - `minmax`: (s - min) / (max - min), in [0, 1]. A constant list (max = min, which includes
 *   every one-element list) maps each of its scores to exactly 1: its candidates count as that
 *   list's best. (growth_rank_fuse_scores() maps a constant model to 0 instead: there the value
 *   is shared by every user and does not change the order.)
 * - `max`: s / max_i |s_i|, in [-1, 1]; a list whose scores are all 0 maps them to 0.
 * - `none`: s unchanged.
 *
 * A list contributes nothing for a document it lacks. Lists are ranked best first; an id
 * repeated within one list counts once, at its first (best) position. Output is ordered by
 * the fused score, then by id ascending.
 * @param ids     n_lists arrays of ids.
 * @param scores  n_lists arrays of scores (best first); needed for `weighted` (finite), may be
 *                NULL (or hold NULL entries) for `rrf`.
 * @param lens    n_lists lengths (0 allowed).
 * @param weights n_lists finite weights >= 0, or NULL for all 1.
 * @param k       >= 1.
 * @param config  NULL or "" for the defaults, or keys of the table above.
 * @param[out] out_ids    fused ids, best first.
 * @param[out] out_scores their fused scores (may be NULL).
 * @param cap     length of `out_ids` (and `out_scores`): at least k.
 * @param[out] out_n number written, min(k, distinct ids) (may be NULL); on ::GROWTH_EBUFS: k,
 *                   the capacity the call needs (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key or value, NULL, k = 0, NaN/Inf, negative
 *         weight, missing scores for `weighted`); ::GROWTH_EBUFS if cap < k; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_lists(const int64_t *const *ids, const float *const *scores,
                                      const size_t *lens, const double *weights, size_t n_lists, size_t k,
                                      const char *config, int64_t *out_ids, float *out_scores, size_t cap,
                                      size_t *out_n);

/**
 * @brief Coarse ranking: a linear pre-ranker over a candidate set, cut to the best `top_n`.
 *
 * score_i = bias + sum_j weights[j] * features[i * d + j]; the `top_n` highest scores are
 * written best first (ties: lower row first).
 * @param features n x d floats, row-major, finite (may be NULL when n = 0).
 * @param ids      n candidate ids carried to `out_ids`, or NULL to write row numbers.
 * @param weights  d finite weights.
 * @param[out] out_ids    the best min(top_n, n) ids (or rows), best first.
 * @param[out] out_scores their scores (may be NULL).
 * @param cap      length of `out_ids` (and `out_scores`): at least min(top_n, n).
 * @param[out] out_n min(top_n, n) (may be NULL); on ::GROWTH_EBUFS the same value, the
 *                   capacity needed (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, NaN/Inf, top_n = 0, d = 0, n x d overflowing);
 *         ::GROWTH_EBUFS if cap < min(top_n, n); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_rank_prerank(const float *features, size_t n, size_t d, const int64_t *ids,
                                   const float *weights, float bias, size_t top_n, int64_t *out_ids,
                                   float *out_scores, size_t cap, size_t *out_n);

/* ---- score fusion: several models over the same users ------------------------------------ */

/**
 * @brief Weighted sum of several models' normalised scores.
 *
 * Configuration key `normalize`: `rank` (default; (average rank - 1) / (n - 1), as
 * scipy.stats.rankdata, 0.5 when n = 1 and for every user of a constant model), `minmax`
 * ((s - min) / (max - min), 0 for every user of a constant model), `zscore`
 * ((s - mean) / population std, 0 for a constant model) or `none`.
 * @param scores  nmodels x n floats, model-major (model m's scores at scores[m n .. m n + n)).
 * @param weights nmodels finite weights.
 * @param config  NULL or "" for the defaults, or `normalize=...` (other keys are ::GROWTH_EINVAL).
 * @param[out] out n fused scores; `cap` >= n (nothing is written on ::GROWTH_EBUFS).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, nmodels or n = 0, NaN/Inf, bad key);
 *         ::GROWTH_EBUFS if cap < n; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_scores(const float *scores, size_t nmodels, size_t n, const double *weights,
                                       const char *config, float *out, size_t cap);

/**
 * @brief Chooses fusion weights by top-N precision on a validation set: a grid search over the
 *        weights k_m x step (k_m >= 0 integers summing to 1 / step).
 *
 * Highest precision wins; ties go to the weights nearest to uniform, then to the first in
 * enumeration order (k_0 descending, then k_1 ...). Configuration keys: `normalize` (as
 * growth_rank_fuse_scores()), `step` (0.1; 1 / step must be an integer; at most 100000 grid
 * points).
 * @param labels n labels 0 or 1 (later-observed buyers of the validation period).
 * @param topn   N of the top-N precision, 1..n.
 * @param[out] out_weights nmodels weights; `cap` >= nmodels (written only on ::GROWTH_OK).
 * @param[out] out_precision top-N precision of the chosen weights (may be NULL; written only on
 *             ::GROWTH_OK).
 * @param progress      NULL, or called from the calling thread as progress("grid", done,
 *                      progress_user) after each chunk of grid points (about 2^20 user scores
 *                      each) and once with done = 1; a non-zero return stops the search with
 *                      ::GROWTH_ECANCELED and nothing written.
 * @param progress_user passed to `progress`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, NaN/Inf, labels not 0/1, topn out of range, bad
 *         step or a grid of more than 100000 points); ::GROWTH_EBUFS if cap < nmodels;
 *         ::GROWTH_ENOMEM; ::GROWTH_ECANCELED.
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_fit(const float *scores, size_t nmodels, size_t n, const float *labels,
                                    size_t topn, const char *config, double *out_weights, size_t cap,
                                    double *out_precision, growth_progress_fn progress, void *progress_user);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_RANK_H */
