package org.libgrowth;

import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;

/**
 * The JNI entry points (bindings/java/jni/growth_jni.c) and small helpers shared by the public
 * classes. Strings cross as NUL-terminated UTF-8 byte arrays (not JNI's modified UTF-8), so the
 * C library hashes exactly the bytes Python and C would. Handles cross as {@code long}.
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
    static native float[] rowValues(long row);
    static native byte[] rowConfig(long row);

    /* ---- ctr.h ---------------------------------------------------------------------------- */
    static native long ftrlCreate(byte[] config);
    static native long ftrlLoad(byte[] path);
    static native long ftrlDeserialize(byte[] buf);
    static native void ftrlFree(long m);
    static native int ftrlHeads(long m);
    static native int ftrlBits(long m);
    static native int ftrlHeadIndex(long m, byte[] name);
    static native byte[] ftrlConfig(long m);
    static native float[] ftrlPredict(long m, int[] idx, float[] val);
    static native float[] ftrlMargin(long m, int[] idx, float[] val);
    static native float[] ftrlPredictBatch(long m, long[] indptr, int[] idx, float[] val, int nrows);
    static native void ftrlUpdate(long m, int[] idx, float[] val, float[] labels, float weight);
    static native float[] ftrlPredictUpdate(long m, int[] idx, float[] val, float[] labels,
                                            float weight);
    static native float[] ftrlUpdateBatch(long m, long[] indptr, int[] idx, float[] val,
                                          float[] labels, float[] weights, boolean wantPred);
    /** Returns {examples, nonzero}. */
    static native long[] ftrlStats(long m);
    static native float ftrlWeight(long m, int head, int index);
    static native void ftrlSave(long m, byte[] path);
    static native void ftrlExportWeights(long m, byte[] path);
    static native byte[] ftrlSerialize(long m);
    static native float[] esmmPredict(long ctr, int ctrHead, long cvr, int cvrHead, int[] idx,
                                      float[] val);
    static native void esmmUpdate(long m, int ctrHead, int cvrHead, int[] idx, float[] val,
                                  float click, float conversion, float weight);

    /* ---- metrics.h ------------------------------------------------------------------------ */
    static native double auc(float[] scores, float[] labels, float[] weights);
    /** Returns {gauc, groupsUsed}. */
    static native double[] gauc(float[] scores, float[] labels, float[] weights, long[] groups);
    static native double logLoss(float[] probs, float[] labels, float[] weights);
    static native double normalizedEntropy(float[] probs, float[] labels, float[] weights);
    static native double calibrationRatio(float[] probs, float[] labels, float[] weights);
}
