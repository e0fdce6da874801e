package org.libgrowth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/** Helpers shared by the JUnit tests of the Java binding. */
final class TestUtil {
    private TestUtil() {}

    /** A fresh directory under $GROWTH_TEST_TMPDIR (set by meson), else java.io.tmpdir. */
    static Path tmpDir() throws IOException {
        String base = System.getenv("GROWTH_TEST_TMPDIR");
        Path root = base != null && !base.isEmpty() ? Paths.get(base)
                : Paths.get(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(root);
        return Files.createTempDirectory(root, "java-");
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A CSR data set with one label per row. */
    static final class Data {
        final long[] indptr;
        final int[] idx;
        final float[] val;
        final float[] labels;
        final int nrows;

        Data(long[] indptr, int[] idx, float[] val, float[] labels) {
            this.indptr = indptr;
            this.idx = idx;
            this.val = val;
            this.labels = labels;
            this.nrows = indptr.length - 1;
        }

        int[] rowIdx(int r) {
            int a = (int) indptr[r], b = (int) indptr[r + 1];
            int[] out = new int[b - a];
            System.arraycopy(idx, a, out, 0, b - a);
            return out;
        }

        float[] rowVal(int r) {
            int a = (int) indptr[r], b = (int) indptr[r + 1];
            float[] out = new float[b - a];
            System.arraycopy(val, a, out, 0, b - a);
            return out;
        }
    }

    /**
     * A separable problem: field "signal" takes one of 10 values and the label is 1 exactly when
     * the value is below 5; four noise fields take one of 50 values at random.
     */
    static Data separable(int nrows, long seed, Row row) {
        Random rnd = new Random(seed);
        long[] indptr = new long[nrows + 1];
        int[][] rowsIdx = new int[nrows][];
        float[][] rowsVal = new float[nrows][];
        float[] labels = new float[nrows];
        int nnz = 0;
        for (int r = 0; r < nrows; r++) {
            int s = rnd.nextInt(10);
            row.clear().addCat("signal", "s" + s);
            for (int f = 0; f < 4; f++) row.addCat("noise" + f, "v" + rnd.nextInt(50));
            rowsIdx[r] = row.indices();
            rowsVal[r] = row.values();
            labels[r] = s < 5 ? 1f : 0f;
            nnz += rowsIdx[r].length;
            indptr[r + 1] = nnz;
        }
        int[] idx = new int[nnz];
        float[] val = new float[nnz];
        for (int r = 0; r < nrows; r++) {
            System.arraycopy(rowsIdx[r], 0, idx, (int) indptr[r], rowsIdx[r].length);
            System.arraycopy(rowsVal[r], 0, val, (int) indptr[r], rowsVal[r].length);
        }
        return new Data(indptr, idx, val, labels);
    }
}
