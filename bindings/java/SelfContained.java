import org.libgrowth.Ftrl;
import org.libgrowth.Growth;

/** Smoke test of the self-contained jar: `java -cp libgrowth.jar SelfContained.java VERSION`. */
public final class SelfContained {
    public static void main(String[] args) throws Exception {
        String want = args.length > 0 ? args[0] : null;
        System.out.println("libgrowth " + Growth.version() + " loaded from " + Growth.nativeSource());
        if (want != null && !want.equals(Growth.version())) throw new AssertionError("version " + want);
        if (!Growth.nativeSource().startsWith("jar:")) throw new AssertionError("not the jar's copy");
        int[] pos = {1, 2, 3}, neg = {4, 5, 6};
        try (Ftrl m = new Ftrl("alpha=0.1 bits=12")) {
            for (int i = 0; i < 200; i++) {
                m.update(pos, null, new float[] {1f}, 1f);
                m.update(neg, null, new float[] {0f}, 1f);
            }
            float p1 = m.predict(pos, null)[0], p0 = m.predict(neg, null)[0];
            System.out.println("ftrl " + p1 + " " + p0);
            if (!(p1 > 0.8f && p0 < 0.2f)) throw new AssertionError("FTRL did not learn");
        }
        System.out.println("ok");
    }
}
