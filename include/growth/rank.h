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
 * caller buffers (::GROWTH_EBUFS when too small).
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
 * Configuration (`config`, NULL for the defaults):
 * | key    | default | meaning |
 * |--------|---------|---------|
 * | method | rrf     | `rrf`: fused(d) = sum_l w_l / (rrf_k + rank_l(d)), rank 1-based by position; `weighted`: fused(d) = sum_l w_l norm_l(score_l(d)) |
 * | rrf_k  | 60      | RRF constant, > 0 |
 * | norm   | minmax  | weighted: `minmax` (s - min) / (max - min) (1 when max = min), `max` s / max abs(s), or `none` |
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
 * @param[out] out_ids, out_scores `cap` >= k entries (out_scores may be NULL).
 * @param[out] out_n number written (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_EBUFS; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_lists(const int64_t *const *ids, const float *const *scores,
                                      const size_t *lens, const double *weights, size_t n_lists,
                                      size_t k, const char *config, int64_t *out_ids,
                                      float *out_scores, size_t cap, size_t *out_n);

/**
 * @brief Coarse ranking: a linear pre-ranker over a candidate set, cut to the best `top_n`.
 *
 * score_i = bias + sum_j weights[j] * features[i * d + j]; the `top_n` highest scores are
 * written best first (ties: lower row first).
 * @param features n x d floats, row-major, finite.
 * @param ids      n candidate ids carried to `out_ids`, or NULL to write row numbers.
 * @param weights  d finite weights.
 * @param[out] out_ids, out_scores `cap` >= min(top_n, n) entries (out_scores may be NULL).
 * @param[out] out_n min(top_n, n) (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NaN/Inf, top_n = 0, d = 0); ::GROWTH_EBUFS; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_rank_prerank(const float *features, size_t n, size_t d,
                                   const int64_t *ids, const float *weights, float bias,
                                   size_t top_n, int64_t *out_ids, float *out_scores,
                                   size_t cap, size_t *out_n);

/* ---- score fusion: several models over the same users ------------------------------------------------------------------------ */

/**
 * @brief Weighted sum of several models' normalised scores.
 *
 * Configuration key `normalize`: `rank` (default; (average rank - 1) / (n - 1), as
 * scipy.stats.rankdata, 0.5 when n = 1), `minmax` ((s - min) / (max - min), 0 when constant),
 * `zscore` ((s - mean) / population std, 0 when constant) or `none`.
 * @param scores  nmodels x n floats, model-major (model m's scores at scores[m n .. m n + n)).
 * @param weights nmodels finite weights.
 * @param[out] out n fused scores; `cap` >= n.
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_scores(const float *scores, size_t nmodels, size_t n,
                                    const double *weights, const char *config, float *out,
                                    size_t cap);

/**
 * @brief Chooses fusion weights by top-N precision on a validation set: a grid search over the
 *        weights k_m x step (k_m >= 0 integers summing to 1 / step).
 *
 * Highest precision wins; ties go to the weights nearest to uniform, then to the first in
 * enumeration order (k_0 descending, then k_1 ...). Configuration keys: `normalize` (as
 * growth_rank_fuse_scores()), `step` (0.1; 1 / step must be an integer; at most 100000 grid
 * points).
 * @param labels n labels 0 or 1 (later-observed buyers of the validation period).
 * @param[out] out_weights nmodels weights; `cap` >= nmodels.
 * @param[out] out_precision top-N precision of the chosen weights (may be NULL).
 * @since 1.0
 */
GROWTH_API int growth_rank_fuse_fit(const float *scores, size_t nmodels, size_t n,
                                        const float *labels, size_t topn, const char *config,
                                        double *out_weights, size_t cap, double *out_precision);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_RANK_H */
