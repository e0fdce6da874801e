package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The direct-buffer overloads of the scoring hot paths (Ftrl.predict/margin, Forest.predictRow/
 * predict, Net.predict/predictBatch, Index.search, Calibrator.predict): each gives the array
 * version's results bit for bit, honours positions (and leaves them unchanged), and refuses heap
 * buffers, foreign byte order, unaligned elements, read-only outputs, size mismatches and short
 * outputs.
 */
class BufferTest {
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.allocateDirect(n).order(NATIVE);
    }

    /** A direct FloatBuffer holding {@code pad} junk floats, then {@code v}, then {@code pad}
     * more, positioned at {@code v} (limit at its end). */
    private static FloatBuffer floats(float[] v, int pad) {
        FloatBuffer b = bytes((v.length + 2 * pad) * Float.BYTES).asFloatBuffer();
        for (int i = 0; i < pad; i++) b.put(i, -7f);
        for (int i = 0; i < v.length; i++) b.put(pad + i, v[i]);
        for (int i = 0; i < pad; i++) b.put(pad + v.length + i, -9f);
        b.position(pad).limit(pad + v.length);
        return b;
    }

    private static IntBuffer ints(int[] v, int pad) {
        IntBuffer b = bytes((v.length + pad) * Integer.BYTES).asIntBuffer();
        for (int i = 0; i < v.length; i++) b.put(pad + i, v[i]);
        b.position(pad);
        return b;
    }

    private static LongBuffer longs(long[] v) {
        LongBuffer b = bytes(v.length * Long.BYTES).asLongBuffer();
        b.put(v).flip();
        return b;
    }

    /** An output of n floats at position {@code pad} of a larger buffer. */
    private static FloatBuffer out(int n, int pad) {
        FloatBuffer b = bytes((n + pad) * Float.BYTES).asFloatBuffer();
        b.position(pad);
        return b;
    }

    /** The floats between position and limit (absolute reads: the position stays). */
    private static float[] read(FloatBuffer b, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = b.get(b.position() + i);
        return v;
    }

    private static void assertCode(int code, Executable call) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(code, e.code(), e.getMessage());
    }

    private static Path data(String name) {
        String root = System.getenv("GROWTH_SOURCE_ROOT");
        return Paths.get(root == null ? "." : root, "tests", "java", "data", name);
    }

    @Test
    void ftrlPredictMatchesTheArrays() {
        Random rnd = new Random(1);
        try (Ftrl m = new Ftrl("bits=16 heads=3")) {
            for (int t = 0; t < 300; t++) {
                int[] idx = {rnd.nextInt(1 << 16), rnd.nextInt(1 << 16), rnd.nextInt(50)};
                m.update(idx, new float[] {1f, 0.5f, 2f},
                        new float[] {rnd.nextInt(2), rnd.nextInt(2), Ftrl.LABEL_MISSING}, 1f);
            }
            int[] idx = new int[200];
            float[] val = new float[idx.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i < 50 ? i : rnd.nextInt(1 << 16);
                val[i] = rnd.nextFloat() * 2 - 0.5f;
            }
            IntBuffer bi = ints(idx, 5);
            FloatBuffer bv = floats(val, 3), o = out(3, 2);
            m.predict(bi, bv, o);
            assertArrayEquals(m.predict(idx, val), read(o, 3));
            assertEquals(5, bi.position());
            assertEquals(3, bv.position());
            assertEquals(2, o.position());
            m.margin(bi, bv, o);
            assertArrayEquals(m.margin(idx, val), read(o, 3));
            m.predict(bi, null, o);
            assertArrayEquals(m.predict(idx, null), read(o, 3));
            // a larger output: the rest is untouched
            FloatBuffer big = out(5, 0);
            big.put(3, 42f);
            m.predict(bi, bv, big);
            assertArrayEquals(m.predict(idx, val), read(big, 3));
            assertEquals(42f, big.get(3));

            // refusals
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> m.predict(IntBuffer.wrap(idx), bv, o));
            assertTrue(heap.getMessage().contains("direct"), heap.getMessage());
            ByteOrder other = NATIVE == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN
                                                                : ByteOrder.LITTLE_ENDIAN;
            FloatBuffer foreign = ByteBuffer.allocateDirect(4 * val.length).order(other)
                    .asFloatBuffer();
            IllegalArgumentException order = assertThrows(IllegalArgumentException.class,
                    () -> m.predict(bi, foreign, o));
            assertTrue(order.getMessage().contains("byte order"), order.getMessage());
            assertThrows(ReadOnlyBufferException.class,
                    () -> m.predict(bi, bv, o.asReadOnlyBuffer()));
            assertThrows(NullPointerException.class, () -> m.predict(null, bv, o));
            assertThrows(NullPointerException.class, () -> m.predict(bi, bv, null));
            assertCode(Status.EINVAL, () -> m.predict(bi, floats(Arrays.copyOf(val, 199), 0), o));
            assertCode(Status.EBUFS, () -> m.predict(bi, bv, out(2, 0)));
            assertThrows(BufferTooSmallException.class, () -> m.predict(bi, bv, out(2, 0)));
            assertCode(Status.EINVAL, () -> m.predict(ints(new int[] {1 << 16}, 0), null, o));
            // an IntBuffer view starting one byte in: unaligned ints
            ByteBuffer raw = bytes(4 * 9);
            raw.position(1);
            IntBuffer odd = raw.slice().order(NATIVE).asIntBuffer();
            IllegalArgumentException align = assertThrows(IllegalArgumentException.class,
                    () -> m.predict(odd, null, o));
            assertTrue(align.getMessage().contains("aligned"), align.getMessage());
        }
    }

    @Test
    void forestPredictMatchesTheArrays() {
        Random rnd = new Random(2);
        int nr = 300, nc = 5;
        float[] x = new float[nr * nc], y = new float[nr];
        for (int r = 0; r < nr; r++) {
            for (int c = 0; c < nc; c++) x[r * nc + c] = rnd.nextFloat();
            if (r % 17 == 0) x[r * nc + 2] = Float.NaN; // missing
            y[r] = x[r * nc] + x[r * nc + 1] > 1 ? 1 : 0;
        }
        try (Forest f = Forest.train(x, nr, nc, y, "objective=binary:logistic max_depth=3", 20)) {
            FloatBuffer bx = floats(x, 4);
            FloatBuffer o = out(nr, 1);
            f.predict(bx, nr, o);
            assertArrayEquals(f.predict(x, nr), read(o, nr));
            f.predict(bx, nr, o, Forest.MARGIN);
            assertArrayEquals(f.predict(x, nr, Forest.MARGIN), read(o, nr));
            assertEquals(4, bx.position());
            float[] row = Arrays.copyOfRange(x, 17 * nc, 18 * nc);
            FloatBuffer br = floats(row, 2), o1 = out(1, 0);
            f.predictRow(br, o1);
            assertArrayEquals(f.predictRow(row), read(o1, 1));
            f.predictRow(br, o1, Forest.MARGIN);
            assertArrayEquals(f.predictRow(row, Forest.MARGIN), read(o1, 1));
            // ByteBuffers in native order (views of the same memory)
            ByteBuffer bb = bytes(x.length * 4), ob = bytes(nr * 4);
            bb.asFloatBuffer().put(x);
            f.predict(bb, nr, ob);
            float[] got = new float[nr];
            ob.asFloatBuffer().get(got);
            assertArrayEquals(f.predict(x, nr), got);
            ByteBuffer rb = bytes(nc * 4), rob = bytes(4);
            rb.asFloatBuffer().put(row);
            f.predictRow(rb, rob);
            assertEquals(f.predictRow(row)[0], rob.asFloatBuffer().get(0));
            // refusals
            assertCode(Status.EINVAL, () -> f.predict(bx, nr - 1, o));
            assertCode(Status.EBUFS, () -> f.predict(bx, nr, out(nr - 1, 0)));
            assertCode(Status.EINVAL, () -> f.predictRow(floats(new float[nc - 1], 0), o1));
            assertThrows(IllegalArgumentException.class,
                    () -> f.predict(ByteBuffer.allocateDirect(x.length * 4), nr, ob));
            assertThrows(IllegalArgumentException.class,
                    () -> f.predict(ByteBuffer.allocate(x.length * 4).order(NATIVE), nr, ob));
            assertThrows(IllegalArgumentException.class, () -> f.predictRow(bytes(nc * 4 - 1), rob));
            assertThrows(ReadOnlyBufferException.class,
                    () -> f.predictRow(rb, rob.asReadOnlyBuffer().order(NATIVE)));
        }
    }

    @Test
    void netPredictMatchesTheArrays() {
        try (Net net = Net.load(data("mlp.net").toString())) {
            int d = net.denseDim(), od = net.outDim(), n = 7;
            float[] X = new float[n * d];
            Random rnd = new Random(3);
            for (int i = 0; i < X.length; i++) X[i] = (float) rnd.nextGaussian();
            FloatBuffer bx = floats(X, 3), o = out(n * od, 2);
            net.predictBatch(bx, n, o);
            assertArrayEquals(net.predictBatch(X, n), read(o, n * od));
            float[] x = Arrays.copyOfRange(X, 2 * d, 3 * d);
            FloatBuffer b1 = floats(x, 1), o1 = out(od, 1);
            net.predict(b1, o1);
            assertArrayEquals(net.predict(x), read(o1, od));
            ByteBuffer bb = bytes(x.length * 4), ob = bytes(od * 4);
            bb.asFloatBuffer().put(x);
            net.predict(bb, ob);
            float[] got = new float[od];
            ob.asFloatBuffer().get(got);
            assertArrayEquals(net.predict(x), got);
            ByteBuffer bX = bytes(X.length * 4), oX = bytes(n * od * 4);
            bX.asFloatBuffer().put(X);
            net.predictBatch(bX, n, oX);
            float[] gotX = new float[n * od];
            oX.asFloatBuffer().get(gotX);
            assertArrayEquals(net.predictBatch(X, n), gotX);
            assertCode(Status.EINVAL, () -> net.predict(floats(new float[d + 1], 0), o1));
            assertCode(Status.EBUFS, () -> net.predict(b1, out(od - 1, 0)));
            assertCode(Status.EINVAL, () -> net.predictBatch(bx, n + 1, o));
            assertThrows(IllegalArgumentException.class,
                    () -> net.predict(FloatBuffer.wrap(x), o1));
        }
    }

    @Test
    void indexSearchMatchesTheArrays() {
        int dim = 16, n = 500;
        Random rnd = new Random(4);
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (String cfg : new String[] {"dim=16 metric=cosine kind=flat",
                                        "dim=16 metric=l2 kind=hnsw seed=1"}) {
            try (Index ix = new Index(cfg)) {
                ix.add(x);
                float[] q = Arrays.copyOfRange(x, 40 * dim, 41 * dim);
                q[0] += 0.1f;
                SearchResult want = ix.search(q, 10);
                FloatBuffer bq = floats(q, 2), scores = out(12, 2);
                LongBuffer ids = bytes(8 * 13).asLongBuffer();
                ids.position(3);
                int found = ix.search(bq, 10, ids, scores);
                assertEquals(want.found(), found);
                long[] gotIds = new long[found];
                for (int i = 0; i < found; i++) gotIds[i] = ids.get(3 + i);
                assertArrayEquals(want.ids(), gotIds);
                assertArrayEquals(want.scores(), read(scores, found));
                assertEquals(3, ids.position());
                assertCode(Status.EINVAL, () -> ix.search(floats(new float[dim - 1], 0), 10, ids,
                        scores));
                assertCode(Status.EINVAL, () -> ix.search(bq, -1, ids, scores));
                assertCode(Status.EINVAL, () -> ix.search(bq, 0, ids, scores));
                assertCode(Status.EBUFS, () -> ix.search(bq, 11, ids, scores));
                assertThrows(IllegalArgumentException.class,
                        () -> ix.search(bq, 10, LongBuffer.allocate(10), scores));
            }
        }
        // fewer live items than k
        try (Index ix = new Index("dim=2 metric=ip kind=flat")) {
            ix.add(new float[] {1, 0, 0, 1}, new long[] {7, 9});
            LongBuffer ids = longs(new long[5]);
            FloatBuffer scores = out(5, 0);
            assertEquals(2, ix.search(floats(new float[] {1, 0.5f}, 0), 5, ids, scores));
            assertEquals(7, ids.get(0));
            assertEquals(9, ids.get(1));
            assertEquals(1f, scores.get(0));
        }
    }

    @Test
    void calibratorPredictMatchesTheArrays() {
        Random rnd = new Random(5);
        int n = 2000;
        float[] s = new float[n], y = new float[n];
        long[] f = new long[n];
        for (int i = 0; i < n; i++) {
            f[i] = i % 3;
            s[i] = 0.05f + 0.9f * rnd.nextFloat();
            y[i] = rnd.nextDouble() < s[i] * (f[i] == 0 ? 0.5 : 1.2) ? 1 : 0;
        }
        for (String cfg : new String[] {"method=isotonic", "method=platt",
                                        "method=field buckets=8 min_bucket=50 prior=10"}) {
            try (Calibrator c = new Calibrator(cfg)) {
                c.fit(s, y, null, f);
                boolean field = cfg.contains("field");
                FloatBuffer bs = floats(s, 1), o = out(n, 3);
                LongBuffer bf = longs(f);
                c.predict(bs, field ? bf : null, o);
                assertArrayEquals(c.predict(s, field ? f : null), read(o, n), cfg);
                double[] sd = new double[n];
                for (int i = 0; i < n; i++) sd[i] = s[i] * 0.999 + 1e-4;
                DoubleBuffer bd = bytes(8 * n).asDoubleBuffer().put(sd).flip();
                DoubleBuffer od = bytes(8 * n).asDoubleBuffer();
                c.predict(bd, bf, od);
                double[] gotd = new double[n];
                od.get(gotd);
                assertArrayEquals(c.predict(sd, f), gotd, cfg);
                assertCode(Status.EINVAL, () -> c.predict(bs, longs(new long[n - 1]), o));
                assertCode(Status.EBUFS, () -> c.predict(bs, null, out(n - 1, 0)));
            }
        }
    }

    @Test
    void closedObjectsRefuseBufferCalls() {
        Ftrl m = new Ftrl("bits=8");
        m.close();
        assertThrows(IllegalStateException.class,
                () -> m.predict(ints(new int[] {1}, 0), null, out(1, 0)));
    }
}
