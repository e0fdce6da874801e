package org.libgrowth;

import java.lang.ref.Cleaner;
import java.nio.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The JNI entry points (bindings/java/jni/jni_<module>.c, one file per public header) and small
 * helpers shared by the public classes. Strings cross as NUL-terminated UTF-8 byte arrays (not
 * JNI's modified UTF-8), so the C library hashes exactly the bytes Python and C would. Handles
 * cross as {@code long}.
 */
final class Native {
    static {
        Growth.ensureLoaded();
    }

    /** One cleaner thread for every handle of the binding. */
    static final Cleaner CLEANER = Cleaner.create();

    private Native() {}

    /** NUL-terminated UTF-8 of {@code s}; {@code name} names the argument in error messages. */
    static byte[] cstr(String s, String name) {
        if (s == null) throw new NullPointerException(name + " must not be null");
        if (s.indexOf('\0') >= 0)
            throw new IllegalArgumentException(name + " must not contain a NUL character");
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    /** Configuration string: null means "all defaults". */
    static byte[] config(String s) {
        return cstr(s == null ? "" : s, "config");
    }

    /** Several strings packed back to back, each NUL-terminated. */
    static byte[] pack(String[] a, String name) {
        if (a == null) throw new NullPointerException(name + " must not be null");
        byte[][] parts = new byte[a.length][];
        int total = 0;
        for (int i = 0; i < a.length; i++) {
            parts[i] = cstr(a[i], name + "[" + i + "]");
            total += parts[i].length;
        }
        byte[] out = new byte[total];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    static String str(byte[] utf8) {
        return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
    }

    /* ---- common.h ------------------------------------------------------------------------- */
    static native byte[] version();
    static native int versionNumber();
    static native byte[] strerror(int code);
    static native byte[] lastError();
    /** Returns {kind, formatVersion}. */
    static native int[] modelKind(byte[] path);
    static native byte[] kindName(int kind);
    static native long hash64(byte[] data, int off, int len, long seed);

    /* ---- features.h ----------------------------------------------------------------------- */
    static native int featureHash(byte[] field, byte[] value, long seed, int bits);
    static native int featureHashCross(byte[] fields, byte[] values, int n, long seed, int bits);
    static native long rowCreate(byte[] config);
    static native void rowFree(long row);
    static native void rowClear(long row);
    static native void rowAddCat(long row, byte[] field, byte[] value);
    static native void rowAddNum(long row, byte[] field, float x);
    static native void rowAddCross(long row, byte[] fields, byte[] values, int n);
    static native void rowAddIndex(long row, int index, float x);
    static native int rowSize(long row);
    static native int[] rowIndices(long row);
    static native long[] rowKeys(long row);
    static native float[] rowValues(long row);
    static native byte[] rowConfig(long row);
    /** {@code names} packed by {@link #pack}, n of them (0 removes the field list). */
    static native void rowSetFields(long row, byte[] names, int n);
    static native int rowFieldIndex(long row, byte[] name);
    static native void rowAddFieldIndex(long row, int field, int index, float x);
    /** The entries' field ids (uint8 in bytes), or null for a row without a field list. */
    static native byte[] rowFields(long row);

    /* ---- ctr.h ---------------------------------------------------------------------------- */
    static native long ftrlCreate(byte[] config);
    static native long ftrlLoad(byte[] path);
    static native long ftrlDeserialize(byte[] buf);
    static native void ftrlFree(long m);
    static native int ftrlHeadIndex(long m, byte[] name);
    static native byte[] ftrlConfig(long m);
    static native float[] ftrlPredict(long m, int[] idx, float[] val, int flags);
    static native float[] ftrlPredictBatch(long m, long[] indptr, int[] idx, float[] val, int nrows);
    static native void ftrlUpdate(long m, int[] idx, float[] val, float[] labels, float weight);
    static native float[] ftrlPredictUpdate(long m, int[] idx, float[] val, float[] labels,
                                            float weight);
    static native float[] ftrlUpdateBatch(long m, long[] indptr, int[] idx, float[] val,
                                          float[] labels, float[] weights, boolean wantPred);
    /** Returns {examples, nonzero}. */
    /** {heads, bits, examples, nonzero, live, admitted, evicted, expired, table_bytes} (growth_ftrl_stats). */
    static native long[] ftrlStats(long m);
    static native float[] ftrlPredictKeys(long m, long[] keys, float[] val, int flags);
    static native float[] ftrlUpdateKeys(long m, long[] keys, float[] val, float[] labels, float weight,
                                         boolean wantPred);
    static native float ftrlWeightKey(long m, int head, long key);
    static native float ftrlWeight(long m, int head, int index);
    static native void ftrlSave(long m, byte[] path);
    static native void ftrlExportWeights(long m, byte[] path);
    static native byte[] ftrlSerialize(long m);
    static native float[] esmmPredict(long ctr, int ctrHead, long cvr, int cvrHead, int[] idx,
                                      float[] val);
    static native void esmmUpdate(long m, int ctrHead, int cvrHead, int[] idx, float[] val,
                                  float click, float conversion, float weight);
    /** Direct buffers (positions passed alongside): probabilities/margins into out[cap]. */
    static native void ftrlPredictBuf(long m, Buffer idx, int idxPos, int nnz, Buffer val,
                                      int valPos, Buffer out, int outPos, int cap, int flags);

    /* ---- fm.h ----------------------------------------------------------------------------- */
    static native long fmCreate(byte[] config);
    static native long fmLoad(byte[] path);
    static native long fmDeserialize(byte[] buf);
    static native long fmImportLibffm(byte[] path, byte[] config);
    static native void fmFree(long m);
    static native byte[] fmConfig(long m);
    /** {heads, bits, fields, k, examples, touched, bytes, bytesPerSlot} (growth_fm_stats). */
    static native long[] fmStats(long m);
    static native int fmHeadIndex(long m, byte[] name);
    /** {@code fld} (uint8 field ids) and {@code val} may be null. */
    static native float[] fmPredict(long m, int[] idx, byte[] fld, float[] val, int flags);
    /** Direct buffers (positions passed alongside): probabilities/margins into out[cap]. */
    static native void fmPredictBuf(long m, Buffer idx, int idxPos, int nnz, Buffer fld,
                                    int fldPos, Buffer val, int valPos, Buffer out, int outPos,
                                    int cap, int flags);
    static native float[] fmPredictBatch(long m, long[] indptr, int[] idx, byte[] fld,
                                         float[] val, int nrows, int flags);
    static native void fmUpdate(long m, int[] idx, byte[] fld, float[] val, float[] labels,
                                float weight);
    static native float[] fmPredictUpdate(long m, int[] idx, byte[] fld, float[] val,
                                          float[] labels, float weight);
    static native float[] fmUpdateBatch(long m, long[] indptr, int[] idx, byte[] fld,
                                        float[] val, float[] labels, float[] weights,
                                        boolean wantPred);
    /**
     * growth_fm_fit on a training set and an optional validation set (vIndptr null: none),
     * both as growth_fm_data arrays; {@code listener} is a Progress or null. Returns {epochs,
     * bestEpoch, trainLogloss, validLogloss}.
     */
    static native double[] fmFit(long m, long[] indptr, int[] idx, byte[] fld, float[] val,
                                 float[] labels, float[] weights, long[] vIndptr, int[] vIdx,
                                 byte[] vFld, float[] vVal, float[] vLabels, float[] vWeights,
                                 byte[] options, Object listener);
    static native float[] fmPredictKeys(long m, long[] keys, byte[] fld, float[] val, int flags);
    static native float[] fmUpdateKeys(long m, long[] keys, byte[] fld, float[] val, float[] labels, float weight,
            boolean wantPred);
    static native float fmWeightKey(long m, int head, long key);
    static native float[] fmFactorsKey(long m, long key, int field);
    static native float fmWeight(long m, int head, int index);
    static native float[] fmFactors(long m, int index, int field);
    static native float[] fmEsmmPredict(long m, int ctrHead, int cvrHead, int[] idx, byte[] fld,
                                        float[] val);
    static native void fmEsmmUpdate(long m, int ctrHead, int cvrHead, int[] idx, byte[] fld,
                                    float[] val, float click, float conversion, float weight);
    static native void fmSave(long m, byte[] path);
    static native byte[] fmSerialize(long m);

    /* ---- metrics.h ------------------------------------------------------------------------ */
    static native double auc(float[] scores, float[] labels, float[] weights);
    /** Returns {gauc, groupsUsed}. */
    static native double[] gauc(float[] scores, float[] labels, float[] weights, long[] groups);
    static native double logLoss(float[] probs, float[] labels, float[] weights);
    static native double normalizedEntropy(float[] probs, float[] labels, float[] weights);
    static native double calibrationRatio(float[] probs, float[] labels, float[] weights);

    /* ---- calibration.h -------------------------------------------------------------------- */
    static native long calibratorCreate(byte[] config);
    static native long calibratorLoad(byte[] path);
    static native long calibratorDeserialize(byte[] buf);
    static native void calibratorFree(long c);
    static native byte[] calibratorConfig(long c);
    static native byte[] calibratorSummary(long c);
    static native void calibratorFit(long c, float[] scores, float[] labels, float[] weights,
                                     long[] fields);
    static native double calibratorApply(long c, double score, boolean hasField, long field);
    static native float[] calibratorApplyBatch(long c, float[] scores, long[] fields);
    static native double[] calibratorApplyBatchF64(long c, double[] scores, long[] fields);
    /** Direct buffers: float (or double when f64) scores, n of them, into out[cap]. */
    static native void calibratorApplyBatchBuf(long c, boolean f64, Buffer scores, int scoresPos,
                                               int n, Buffer fields, int fieldsPos, Buffer out,
                                               int outPos, int cap);
    /** Returns {a, b}. */
    static native double[] calibratorSigmoid(long c);
    /** Returns {x[0..n), y[0..n)}. */
    static native double[] calibratorKnots(long c, boolean hasField, long field);
    static native void calibratorSave(long c, byte[] path);
    static native byte[] calibratorSerialize(long c);

    /* ---- metrics.h: calibration metrics ---------------------------------------------------- */
    /** {@code config}: "bins=10 binning=uniform" (metrics.h). */
    static native double ece(float[] probs, float[] labels, float[] weights, byte[] config);
    static native double mce(float[] probs, float[] labels, float[] weights, byte[] config);
    /** Returns {meanProb[0..nb), posRate[0..nb), weight[0..nb)}. */
    static native double[] reliability(float[] probs, float[] labels, float[] weights,
                                       byte[] config);
    static native double fieldEce(float[] probs, float[] labels, float[] weights, long[] fields);
    /** Returns {rce, fieldsUsed}. */
    static native double[] fieldRce(float[] probs, float[] labels, float[] weights, long[] fields);

    /* ---- bandit.h ------------------------------------------------------------------------- */
    static native long banditCreate(byte[] config);
    static native long banditLoad(byte[] path);
    static native long banditDeserialize(byte[] buf);
    static native void banditFree(long b);
    static native byte[] banditConfig(long b);
    static native void banditAddArm(long b, long id, double rate, double strength);
    static native long banditAddArmNamed(long b, byte[] name, double rate, double strength);
    static native long banditNameId(byte[] name);
    static native byte[] banditArmName(long b, long id);
    static native void banditRemoveArm(long b, long id);
    static native void banditReplaceArm(long b, long oldId, long newId, double rate,
                                        double strength);
    static native int banditArmCount(long b);
    static native long[] banditArms(long b);
    /** Returns {alpha, beta, count, mean}. */
    static native double[] banditArmStats(long b, long id);
    /** Fills out = {decision, arm} and propensity[0]. */
    static native void banditSelect(long b, float[] context, long[] eligible, long[] out,
                                    double[] propensity);
    static native void banditSelectK(long b, float[] context, long[] eligible, boolean[] mask,
                                     int k, long[] decisions, long[] arms, double[] propensities);
    static native void banditSelectBatch(long b, float[] contexts, int n, long[] eligible,
                                         long[] decisions, long[] arms, double[] propensities);
    static native double[] banditProbabilities(long b, float[] context, long[] eligible,
                                               long draws, long seed);
    static native void banditReward(long b, long decision, double value);
    static native int[] banditRewardBatch(long b, long[] decisions, double[] values);
    /** Returns {decisions, applied, unknown, expired, duplicate, retired, pending, arms}. */
    static native long[] banditStats(long b);
    static native void banditSave(long b, byte[] path);
    static native byte[] banditSerialize(long b);
    /** growth_bandit_sample_beta: an unstable interface of growth/sys/bandit.h. */
    static native double[] sampleBeta(long seed, double[] a, double[] b);
    /** Returns {value, stderr}. */
    static native double[] banditOpe(byte[] config, int nActions, int[] actions, double[] rewards,
                                     double[] propensities, double[] target, double[] qHat);
    /** Returns {value, lower, upper}. */
    static native double[] banditOpeInterval(byte[] config, int nActions, int[] actions, double[] rewards,
                                             double[] propensities, double[] target, double[] qHat);
    /** out = {decision, candidate}, outProp = {propensity}. */
    static native void banditSelectCsr(long b, long[] indptr, int[] indices, float[] values, long[] ids,
                                       double[] rates, long[] out, double[] outProp);
    static native void banditWeights(long b, int[] slots, double[] mean, double[] precision);
    /** Returns {value, matched}. */
    static native double[] banditReplay(long b, float[] contexts, long[] arms, double[] rewards,
                                        long[] eligible);

    /* ---- budget.h ------------------------------------------------------------------------- */
    static native long mckpCreate(byte[] config);
    static native void mckpFree(long s);
    static native byte[] mckpConfig(long s);
    static native void mckpCancel(long s);
    /** Returns the choice per user; {@code listener} is a Mckp.Progress or null. */
    static native int[] mckpSolve(long s, long[] indptr, double[] values, double[] costs,
                                  double[] budgets, Object listener);
    /** Returns {value, lpValue, dualBound, gap, relGap, nUsers, nChosen, iterations,
     *  fractional, nBudgets}. */
    static native double[] mckpResult(long s);
    /** Returns {lambda[0..k), spend[0..k)}. */
    static native double[] mckpDuals(long s, int k);
    /* growth_mckp_shard_eval / _shard_assign: unstable interfaces of growth/sys/budget.h */
    static native void mckpShardEval(long s, long[] indptr, double[] values, double[] costs,
                                     int nBudgets, double[] lambda, double[] spend,
                                     double[] value, double[] dual);
    static native double mckpShardAssign(long s, long[] indptr, double[] values, double[] costs,
                                         double[] lambda, int[] choice, double[] spend);
    /* the coordinated MCKP protocol (growth_mckp_shard_step, growth_mckp_coord_*): unstable */
    static native double[] mckpShardStep(long s, long[] indptr, double[] values, double[] costs, int k,
                                         double[] request, int[] plan);
    static native long mckpCoordCreate(int nShards, long nUsers, long nOptions, double[] budgets,
                                       byte[] config);
    static native void mckpCoordFree(long c);
    static native boolean mckpCoordNext(long c);
    static native double[] mckpCoordRequest(long c, int shard);
    static native void mckpCoordFeed(long c, int shard, double[] reply);
    static native void mckpCoordFail(long c, int shard, int code, byte[] message);
    static native void mckpCoordCancel(long c);
    static native double[] mckpCoordResult(long c);
    static native double[] mckpCoordDuals(long c, int k);
    static native long[] mckpCoordStats(long c);
    static native long channelsCreate(byte[] config);
    static native void channelsFree(long c);
    static native int channelsCount(long c);
    static native int channelsAdd(long c, int kind, double a, double b, double weight,
                                  double minSpend, double maxSpend);
    static native int channelsAddPoints(long c, double[] x, double[] y, double weight,
                                        double minSpend, double maxSpend);
    /** Fills spend/outcome; returns {total, marginal}. */
    static native double[] channelsAllocate(long c, double budget, double[] spend,
                                            double[] outcome);
    static native void channelsCurve(long c, double[] budgets, double[] total, double[] marginal,
                                     double[] spend);
    /** Returns {family, a, b, r2, rmse, spendLo, spendHi, n, knots, knotX..., knotY...}. */
    static native double[] channelsFit(double[] x, double[] y, double[] w, byte[] config);
    static native long responseCreate(int nOutcomes, byte[] config);
    static native void responseFree(long h);
    static native int responseAdd(long h, int group, double spendLo, double spendHi);
    static native void responseSetCurve(long h, int placement, int outcome, int kind, double a, double b);
    static native void responseSetPoints(long h, int placement, int outcome, double[] x, double[] y);
    /** Fills spend/outcomes; returns {objective, spend, marginal, price, mult0, mult1, extrapolated, bound}. */
    static native double[] responseAllocate(long h, double[] budgets, double[] weights, double[] minRatio,
                                            double[] minSpend, double[] maxSpend, double[] spend,
                                            double[] outcomes);
    /** Fills send/hour; returns {iterations, value, lpValue, gap, sent}. */
    static native double[] pushAllocate(byte[] config, long[] userPtr, double[] values,
                                        int[] category, int[] caps, int nCategories,
                                        double[] catMin, double[] catMax, double volume,
                                        double[] hours, boolean[] send, byte[] hour);

    /* ---- uplift.h ------------------------------------------------------------------------- */
    static native long upliftTrain(byte[] config, byte[] params, float[] x, int nrows, int ncols,
                                   float[] labels, int[] treatment, float[] propensity,
                                   float[] weights);
    static native long upliftLoad(byte[] path);
    static native long upliftDeserialize(byte[] buf);
    static native void upliftFree(long u);
    static native byte[] upliftConfig(long u);
    static native int[] upliftDims(long u);
    static native float[] upliftPredict(long u, float[] x, int nrows, int flags);
    static native void upliftSave(long u, byte[] path);
    static native byte[] upliftSerialize(long u);
    static native int[] upliftAllocate(long solver, long[] indptr, float[] uplift, float[] redeem,
                                       double[] costs, double budget, byte[] config);
    static native double upliftMetric(int which, float[] uplift, float[] labels, int[] treatment,
                                      byte[] config);

    /* ---- forest.h ------------------------------------------------------------------------- */
    static native long forestTrain(byte[] config, byte[] params, float[] x, int nrows, int ncols,
                                   float[] labels, float[] weights);
    static native long forestLoad(byte[] path);
    static native long forestDeserialize(byte[] buf);
    static native void forestFree(long f);
    static native byte[] forestConfig(long f);
    static native byte[] forestObjective(long f);
    /** Returns {numFeatures, numOutputs, numTrees}. */
    static native int[] forestDims(long f);
    static native float[] forestPredictRow(long f, float[] x, int flags);
    static native float[] forestPredictDense(long f, float[] x, int nrows, int flags);
    static native void forestPredictRowBuf(long f, Buffer x, int xPos, int n, Buffer out,
                                           int outPos, int cap, int flags);
    static native void forestPredictDenseBuf(long f, Buffer x, int xPos, int len, int nrows,
                                             Buffer out, int outPos, int cap, int flags);
    /** Importance by a config string ("type=gain"). */
    static native float[] forestImportance(long f, byte[] config);
    static native void forestSave(long f, byte[] path);
    static native byte[] forestSerialize(long f);

    /* ---- nets.h --------------------------------------------------------------------------- */
    /** A Net / DSSM handle owns the model and one workspace made from {@code wsConfig}. */
    static native long netLoad(byte[] path, byte[] wsConfig);
    static native long netDeserialize(byte[] buf, byte[] wsConfig);
    static native void netFree(long h);
    static native byte[] netConfig(long h);
    /** Returns {denseDim, fields, wideRows, outDim}. */
    static native long[] netDims(long h);
    static native float[] netPredict(long h, float[] x);
    static native float[] netPredictBatch(long h, float[] x, int nrows);
    static native void netPredictBuf(long h, Buffer x, int xPos, int n, Buffer out, int outPos,
                                     int cap);
    static native void netPredictBatchBuf(long h, Buffer x, int xPos, int len, int nrows,
                                          Buffer out, int outPos, int cap);
    static native float[] netPredictWideDeep(long h, float[] x, int[] catField, int[] catId,
                                             int[] wideIdx, float[] wideVal);
    static native void netSave(long h, byte[] path);
    static native byte[] netSerialize(long h);
    static native long dssmLoad(byte[] path, byte[] wsConfig);
    static native long dssmDeserialize(byte[] buf, byte[] wsConfig);
    static native void dssmFree(long h);
    static native byte[] dssmConfig(long h);
    /** Returns {dim, buckets, seed}. */
    static native long[] dssmDims(long h);
    /** {@code texts} packed by {@link #pack}; returns n x dim floats. */
    static native float[] dssmEncode(long h, int tower, byte[] texts, int n);
    static native float[] dssmScore(long h, byte[] query, byte[] items, int n);
    /** Returns {slot[0..k), count[0..k)}. */
    static native int[] dssmHashText(byte[] text, int buckets, long seed);
    static native void dssmSave(long h, byte[] path);
    static native byte[] dssmSerialize(long h);

    /* ---- bidding.h ------------------------------------------------------------------------ */
    static native long bidderCreate(byte[] config);
    static native long bidderLoad(byte[] path);
    static native long bidderDeserialize(byte[] buf);
    static native void bidderFree(long b);
    static native byte[] bidderConfig(long b);
    static native double bidderBid(long b, double pctr, double pcvr, double orderValue,
                                   long requestId);
    static native double[] bidderBidBatch(long b, double[] pctr, double[] pcvr,
                                          double[] orderValue, long[] requestIds);
    /** Returns {multiplier, rate, spent, auctionResults}. */
    static native double[] bidderStats(long b);
    static native void bidderRecord(long b, double t, double cost);
    static native void bidderTick(long b, double t);
    static native void bidderAuctionResult(long b, double bid, boolean won, double marketPrice);
    static native double bidderWinRate(long b, double price);
    static native double bidderPlan(long b, double t);
    static native void bidderNewDay(long b);
    static native void bidderSave(long b, byte[] path);
    static native byte[] bidderSerialize(long b);

    /* ---- recall.h ------------------------------------------------------------------------- */
    static native long indexCreate(byte[] config);
    static native long indexLoad(byte[] path);
    static native long indexDeserialize(byte[] buf);
    static native void indexFree(long h);
    static native byte[] indexConfig(long h);
    static native void indexSet(long h, byte[] config);
    static native void indexTrain(long h, float[] x);
    static native void indexAdd(long h, float[] x, long[] ids);
    /** Returns how many of the ids were present. */
    static native long indexRemove(long h, long[] ids);
    static native void indexCompact(long h);
    /** Fills ids[k] and scores[k]; returns the number found. */
    static native int indexSearch(long h, float[] q, int k, long[] ids, float[] scores);
    /** Direct buffers: q (len floats) into ids/scores (cap each); returns the number found. */
    static native int indexSearchBuf(long h, Buffer q, int qPos, int len, int k, Buffer ids,
                                     int idsPos, Buffer scores, int scoresPos, int cap);
    /** Fills ids[nq * k] and scores[nq * k] (padding -1 / NaN). */
    static native void indexSearchBatch(long h, float[] q, int nq, int k, long[] ids,
                                        float[] scores);
    /** Returns {count, deleted, dim, memoryBytes}. */
    static native long[] indexStats(long h);
    static native void indexSave(long h, byte[] path);
    static native byte[] indexSerialize(long h);

    /* ---- text.h --------------------------------------------------------------------------- */
    static native long textCreate(byte[] config);
    static native long textLoad(byte[] path);
    static native long textDeserialize(byte[] buf);
    static native void textFree(long h);
    static native byte[] textConfig(long h);
    static native void textSet(long h, byte[] config);
    /** {@code texts} packed by {@link #pack}. */
    static native void textAdd(long h, long[] ids, byte[] texts, int n);
    static native long textDelete(long h, long[] ids);
    static native void textCompact(long h);
    /** Returns {docs, terms, postings}. */
    static native long[] textCount(long h);
    /** Fills ids[k] and scores[k]; returns the number found. */
    static native int textSearch(long h, byte[] query, int k, long[] ids, float[] scores);
    static native float[] textScore(long h, byte[] query, long[] ids);
    static native void textSave(long h, byte[] path);
    static native byte[] textSerialize(long h);
    /** Fills outIds[k] and outScores[k]; returns the number found. */
    static native int textFuse(byte[] config, long[][] ids, float[][] scores, double[] weights,
                               int k, long[] outIds, float[] outScores);

    /* ---- audience.h ----------------------------------------------------------------------- */
    /* CSR matrices cross as (indptr: nusers + 1 offsets, indices); ids are uint32 in ints.
     * Results with several arrays come back as Object[] of those arrays. */
    /** {double[] tgi, double[] concentration, long[] seedCount, long[] populationCount} */
    static native Object[] audienceTgi(long[] indptr, int[] indices, int nattrs, int[] seed);
    /** {int[] attributes, int[] users} */
    static native Object[] audienceInterest(long[] indptr, int[] indices, int nattrs, int[] seed,
                                            byte[] config);
    /** {int[] brands (nquery x k, -1 pads), double[] jaccard} */
    static native Object[] audienceSimilarBrands(long[] indptr, int[] indices, int nbrands,
                                                 int[] brands, int k);
    static native int[] audienceBrand(long[] indptr, int[] indices, int nbrands, int[] brands,
                                      int[] seed, byte[] config);
    /** {int[] antecedent, int[] consequent, double[] support, confidence, lift} */
    static native Object[] audienceRules(long[] indptr, int[] indices, int ncats,
                                         int[] consequents, byte[] config);
    static native int[] audienceCategory(long[] indptr, int[] indices, int ncats, int[] targets,
                                         int[] seed, byte[] config);
    /** {int[] users, float[] similarities} */
    static native Object[] audiencePeer(float[] emb, int dim, int[] seed, int n, byte[] config);
    static native Object[] audiencePeerIndex(long index, int[] seed, int n, byte[] config);
    /** {int[] users, long[] lastTimes} */
    static native Object[] audienceLost(int[] users, long[] times, int nusers, byte[] config);
    /** {int[] users, int[] directions} */
    static native Object[] audienceUnion(int[][] lists, int[] directions, int nusers);
    /** {@code listener} is a Progress or null. */
    static native float[] audiencePuScore(long[] indptr, int[] indices, float[] values, int nfeat,
                                          int[] seed, int[] pool, byte[] config, Object listener);
    /** {int[] users, float[] scores} */
    static native Object[] audienceSelect(int[] users, float[] scores, int[] exclude,
                                          float threshold, int n);

    /** Called by the JNI shim from a long call's progress callback (in the calling thread). */
    static boolean progress(Object listener, byte[] stage, double done) {
        return ((Progress) listener).onProgress(str(stage), done);
    }
}
