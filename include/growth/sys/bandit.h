/**
 * @file sys/bandit.h
 * @brief Unstable bandit interfaces: the raw Beta sampler and the Bernoulli simulator used by the
 *        tests, the bindings and the bench.
 *
 * @defgroup sys Unstable interfaces (growth/sys/)
 * @{
 *
 * The headers under `growth/sys/` are **outside the stable ABI**: their functions, types and
 * constants may change or go in any minor release. Their symbols carry their own version node,
 * `GROWTH_SYS_1.0` (not `GROWTH_1.0`), so a program linked against one minor release fails to
 * load against another whose sys interfaces changed, instead of misbehaving. They are not
 * included by `<growth/growth.h>`; a translation unit opts in by defining `GROWTH_SYS_UNSTABLE`
 * before including one:
 *
 * @code
 * #define GROWTH_SYS_UNSTABLE
 * #include <growth/sys/bandit.h>   // also includes <growth/bandit.h>
 * @endcode
 *
 * Programs that need a stable promise use the functions of the module headers only. The Python
 * package (growth.BanditSimulator, growth.BidSimulator, growth.distributed) and the Java
 * binding ship with the library and track these interfaces release by release.
 */
#ifndef GROWTH_SYS_UNSTABLE
#error "growth/sys/*.h is outside the stable ABI: define GROWTH_SYS_UNSTABLE before including it"
#endif

/** @cond */ /* the include guard (not part of the documentation) */
#ifndef GROWTH_SYS_BANDIT_H
#define GROWTH_SYS_BANDIT_H
/** @endcond */

#include "growth/bandit.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Fills out[i] with Beta(a[i], b[i]) draws from a PRNG seeded with `seed`: the sampler
 *        Thompson Sampling uses (Marsaglia-Tsang gamma over a ziggurat normal).
 * @param a, b n shape parameters each, finite and > 0.
 * @param[out] out `cap` >= n doubles.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL arrays, a bad shape); ::GROWTH_EBUFS (`cap` < n).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bandit_sample_beta(uint64_t seed, const double *a, const double *b, size_t n,
                                         double *out, size_t cap);

/**
 * @brief Simulator of Bernoulli arms with drift, retiring arms and delayed, batched feedback,
 *        used by the tests and the bench (opaque).
 *
 * Configuration keys: `arms` (10) initial arms with rates uniform in [rate_min, rate_max]
 * (0.01, 0.10); `drift` (0) sd of a Gaussian random walk of each arm's logit per step;
 * `retire_every` (0 = never): every that many steps the oldest arm is removed from the bandit
 * and a new arm with a fresh rate added; `delay` (1) steps until a reward is delivered;
 * `delay_dist` fixed|exponential (mean `delay`); `batch` (1) rewards are delivered in batches of
 * that many due rewards; `seed` (0). Arm ids are 1, 2, ... in order of creation.
 */
typedef struct growth_bandit_sim growth_bandit_sim;

/**
 * @brief Creates a simulator (keys above).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a bad key; ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bandit_sim_create(growth_bandit_sim **out, const char *config);

/** @brief Frees a simulator; NULL is allowed. @since 1.0 (unstable) */
GROWTH_API void growth_bandit_sim_free(growth_bandit_sim *s);

/**
 * @brief Runs `steps` rounds against a bandit: adds the simulator's arms to it (the bandit must
 *        have no arms at the first run), then per step selects, draws the Bernoulli reward,
 *        schedules it `delay` steps later and delivers due rewards. Expected regret per step is
 *        (best current rate - chosen arm's rate).
 * @param[out] out_regret if not NULL, cumulative expected regret after steps * (i+1) / n_points
 *             steps, i < n_points (a regret curve).
 * @param[out] out_total_reward if not NULL, the sum of drawn rewards.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handles, n_points = 0 with a curve, a contextual
 *         policy, a bandit whose `max_arms` is below the simulator's arms); ::GROWTH_ESTATE (the
 *         bandit has arms at the first run, or the simulator runs another bandit);
 *         ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bandit_sim_run(growth_bandit_sim *s, growth_bandit *b, uint64_t steps,
                                     double *out_regret, size_t n_points, double *out_total_reward);

/**
 * @brief Current true rates of the simulator's arms.
 * @param[out] out_ids, out_rates `cap` entries each, or NULL (not wanted).
 * @param[out] out_n may be NULL; on ::GROWTH_OK the number of arms written, on ::GROWTH_EBUFS
 *             the number of arms (nothing is written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle); ::GROWTH_EBUFS (`cap` < arm count).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bandit_sim_rates(const growth_bandit_sim *s, uint64_t *out_ids, double *out_rates,
                                       size_t cap, size_t *out_n);

/** @} */

#ifdef __cplusplus
}
#endif

/** @cond */
#endif /* GROWTH_SYS_BANDIT_H */
/** @endcond */
