/*
 * JNI natives of bidding.h (class Bidder).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(bidder, growth_bidder, growth_bidder, "Bidder");

/* Bids are lock-free and allocation-free in the library: critical pins. The mutating calls take
 * the bidder's mutex for a short time; the files are read and written outside any pin. */

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderBid(JNIEnv *env, jclass cls, jlong b, jdouble pctr,
                                                              jdouble pcvr, jdouble order_value,
                                                              jlong request_id)
{
    (void)cls;
    double bid = 0.0;
    int rc = growth_bidder_bid(bidder_of(b), pctr, pcvr, order_value, (uint64_t)request_id, &bid);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0.0;
    }
    return bid;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_bidderBidBatch(JNIEnv *env, jclass cls, jlong b,
                                                                        jdoubleArray pctr, jdoubleArray pcvr,
                                                                        jdoubleArray order_value,
                                                                        jlongArray request_ids)
{
    (void)cls;
    const char *who = "Bidder.bidBatch";
    if (pctr == NULL || pcvr == NULL) {
        throw_npe(env, pctr == NULL ? "pctr" : "pcvr");
        return NULL;
    }
    jsize n = len_of(env, pctr);
    if (check_len(env, who, "pcvr", pcvr, n, 1) || check_len(env, who, "orderValue", order_value, n, 0) ||
        check_len(env, who, "requestIds", request_ids, n, 0))
        return NULL;
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jdouble *a = pin(&ps, pctr, n, 'D', 0);
    const jdouble *c = pin(&ps, pcvr, n, 'D', 0);
    const jdouble *v = pin(&ps, order_value, n, 'D', 0);
    const jlong *ids = pin(&ps, request_ids, n, 'J', 0);
    jdouble *po = pin(&ps, out, n, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bidder_bid_batch(bidder_of(b), a, c, v, (const uint64_t *)ids, (size_t)n, po, (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* {multiplier, rate, spent, auctionResults} */
JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_bidderStats(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    growth_bidder_stats st = GROWTH_BIDDER_STATS_INIT;
    int rc = growth_bidder_stats_get(bidder_of(b), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[4] = {st.multiplier, st.rate, st.spent, (double)st.auction_results};
    return new_doubles(env, v, 4);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderRecord(JNIEnv *env, jclass cls, jlong b, jdouble t,
                                                              jdouble cost)
{
    (void)cls;
    int rc = growth_bidder_record_spend(bidder_of(b), t, cost);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderTick(JNIEnv *env, jclass cls, jlong b, jdouble t)
{
    (void)cls;
    int rc = growth_bidder_tick(bidder_of(b), t);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderAuctionResult(JNIEnv *env, jclass cls, jlong b,
                                                                     jdouble bid, jboolean won,
                                                                     jdouble market_price)
{
    (void)cls;
    int rc = growth_bidder_record_auction(bidder_of(b), bid, won ? 1 : 0, market_price);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderWinRate(JNIEnv *env, jclass cls, jlong b,
                                                                  jdouble price)
{
    (void)cls;
    double rate = 0.0;
    int rc = growth_bidder_win_rate(bidder_of(b), price, &rate);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return rate;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderPlan(JNIEnv *env, jclass cls, jlong b, jdouble t)
{
    (void)cls;
    double planned = 0.0;
    int rc = growth_bidder_plan(bidder_of(b), t, &planned);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return planned;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderNewDay(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    int rc = growth_bidder_new_day(bidder_of(b));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
