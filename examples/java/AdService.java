import org.libgrowth.Features;
import org.libgrowth.Ftrl;
import org.libgrowth.GrowthException;
import org.libgrowth.Metrics;
import org.libgrowth.Row;

/** A JVM service snippet: score and learn with libgrowth through JNI. Run by meson (examples). */
public final class AdService {
    public static void main(String[] args) {
        java.util.Random rnd = new java.util.Random(3);
        int n = 40000;
        float[] scores = new float[n / 2], labels = new float[n / 2];
        try (Ftrl model = new Ftrl("alpha=0.1 bits=18 heads=2 head_names=click|purchase");
             Row row = new Row("bits=18")) {
            for (int t = 0; t < n; t++) {
                String cat = (t % 4 == 0) ? "tea" : "shoes";
                row.clear();
                row.addCat("item_cat", cat);
                row.addCat("slot", Integer.toString(t % 5));
                int[] idx = row.indices();
                float[] p = model.predict(idx, row.values());
                boolean click = rnd.nextFloat() < (cat.equals("tea") ? 0.2f : 0.05f);
                if (t >= n / 2) {
                    scores[t - n / 2] = p[0];
                    labels[t - n / 2] = click ? 1f : 0f;
                }
                model.update(idx, row.values(), new float[] {click ? 1f : 0f, Ftrl.LABEL_MISSING}, 1f);
            }
            double auc = Metrics.auc(scores, labels, null);
            System.out.printf("AUC %.3f, slot of (item_cat, tea) = %d%n", auc, Features.hash("item_cat", "tea", 0, 18));
            if (auc < 0.6) System.exit(1);
        } catch (GrowthException e) {
            System.err.println("libgrowth error " + e.code() + ": " + e.getMessage());
            System.exit(1);
        }
        try (Ftrl bad = new Ftrl("alpha=-1")) {
            System.err.println("accepted a bad config: " + bad.config());
            System.exit(1);
        } catch (GrowthException e) {
            System.out.println("bad config rejected: " + e.getMessage());
        }
    }
}
