package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A JVM started under LANG=de_DE.UTF-8 or fr_FR.UTF-8 calls setlocale(LC_ALL, "") at start-up, so
 * the C library runs under a decimal comma. The same workload (configs with decimals, config round
 * trip, training, serialisation, load) must give the same bytes as under the C locale. Each locale
 * runs in a child JVM ({@link #main}); the locales come from scripts/setup-debian.
 */
class LocaleTest {
    /** The workload: prints one line per result, a name and the SHA-256 of its bytes. */
    public static void main(String[] args) throws Exception {
        List<String> out = new ArrayList<>();
        try (Ftrl m = new Ftrl("alpha=0.05 beta=1.5 l1=0.25 l2=1e-3 bits=12 heads=2")) {
            emit(out, "ftrl.config", m.config());
            for (int i = 0; i < 300; i++) {
                int[] idx = {i % 17, 100 + i % 5, 300 + (i * 7) % 11};
                float[] val = {1f, 0.5f, 0.25f};
                m.update(idx, val, new float[] {i % 3 == 0 ? 1f : 0f, i % 5 == 0 ? 1f : 0f}, 1f);
            }
            float[] p = m.predict(new int[] {3, 102}, null);
            emit(out, "ftrl.predict", floats(p));
            byte[] bytes = m.serialize();
            emit(out, "ftrl.bytes", bytes);
            try (Ftrl back = Ftrl.deserialize(bytes)) {
                emit(out, "ftrl.reloaded", back.config());
            }
        }
        try (Calibrator c = new Calibrator("method=platt")) {
            float[] s = new float[200], y = new float[200];
            for (int i = 0; i < 200; i++) {
                s[i] = 0.005f * i;
                y[i] = (i % 4 == 1 || i > 150) ? 1f : 0f;
            }
            c.fit(s, y);
            emit(out, "cal.summary", c.summary());
            emit(out, "cal.bytes", c.serialize());
        }
        try (Bidder b = new Bidder("target_cpa=2.5 budget=1234.75 plan=curve curve=0.5|1.25|2.5")) {
            emit(out, "bidder.config", b.config());
            emit(out, "bidder.bytes", b.serialize());
        }
        try (TextIndex t = new TextIndex("k1=1.35 b=0.62")) {
            t.add(new long[] {1, 2}, new String[] {"red running shoes", "blue shoes 0.5 litre"});
            emit(out, "text.config", t.config());
            emit(out, "text.bytes", t.serialize());
        }
        int n = 200, d = 3;
        float[] X = new float[n * d], Y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) X[i * d + j] = ((i * 31 + j * 17) % 97) / 9.7f;
            Y[i] = X[i * d] + 0.5f * X[i * d + 1] > 7.5f ? 1f : 0f;
        }
        try (Forest f = Forest.train(X, n, d, Y, "objective=binary:logistic max_depth=3 eta=0.35 lambda=1.5", 5)) {
            emit(out, "forest.predict", floats(f.predict(X, n)));
            emit(out, "forest.config", f.config());
            emit(out, "forest.bytes", f.serialize());
        }
        try {
            new Ftrl("alpha=0,05").close();
            out.add("error none");
        } catch (GrowthException e) {
            emit(out, "error", e.getMessage());
        }
        System.out.println(String.join("\n", out));
    }

    private static void emit(List<String> out, String name, String s) throws Exception {
        emit(out, name, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void emit(List<String> out, String name, byte[] b) throws Exception {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(b);
        StringBuilder hex = new StringBuilder();
        for (byte x : h) hex.append(String.format(java.util.Locale.ROOT, "%02x", x & 0xff));
        out.add(name + " " + b.length + " " + hex);
    }

    private static byte[] floats(float[] v) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * v.length);
        for (float x : v) bb.putFloat(x);
        return bb.array();
    }

    private static String runIn(String locale) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java,
                "-Djava.library.path=" + System.getProperty("java.library.path"),
                "-cp", jarOf(LocaleTest.class) + File.pathSeparator + jarOf(Ftrl.class),
                LocaleTest.class.getName());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANGUAGE"));
        env.put("LANG", locale);
        env.put("LC_ALL", locale);
        env.put("SOURCE_DATE_EPOCH", "1700000000"); // model files record their creation time
        pb.redirectErrorStream(true);
        Process p = pb.start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(buf);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), locale + ": " + text);
        return text;
    }

    /** Where a class was loaded from (the console launcher keeps its -cp out of java.class.path). */
    private static String jarOf(Class<?> c) throws Exception {
        return new File(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
    }

    private static boolean installed(String locale) throws Exception {
        Process p = new ProcessBuilder("locale", "-a").start();
        String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).toLowerCase();
        p.waitFor();
        String want = locale.toLowerCase().replace("utf-8", "utf8");
        for (String l : all.split("\n")) if (l.trim().equals(want)) return true;
        return false;
    }

    @Test
    void sameBytesUnderEveryLocale() throws Exception {
        String ref = runIn("C");
        assertTrue(ref.split("\n").length >= 12, ref);
        for (String loc : new String[] {"de_DE.UTF-8", "fr_FR.UTF-8"}) {
            assertTrue(installed(loc), loc + " is not installed: run scripts/setup-debian");
            assertEquals(ref, runIn(loc), loc);
        }
    }
}
