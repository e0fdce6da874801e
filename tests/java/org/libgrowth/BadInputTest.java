package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

/**
 * The bad-input matrix through the Java binding (mirrors tests/c/test_bad_input*.c): one
 * dynamic test per case, each expecting a GrowthException with the C status and a message;
 * cases on a handle also check that the handle gives exactly the output it gave before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private Path dir;
    private String otherKind, garbage;
    private Ftrl ftrl;
    private FFM ffm;
    private Calibrator cal;
    private Bandit bandit;
    private Bidder bidder;
    private Mckp mckp;
    private Channels channels;
    private Index index;
    private TextIndex text;
    private Forest forest;
    private Net net;
    private DSSM dssm;

    private static final int[] IDX = {1, 5, 7};
    private static final float[] VAL = {1, 1, 1};
    private static final byte[] FLD = {0, 1, 2};
    private static final float[] S8 = {0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 0.6f, 0.8f, 0.9f};
    private static final float[] Y8 = {0, 0, 1, 0, 0, 1, 1, 1};
    private static final float NAN = Float.NaN;
    private static final long[] IP = {0, 2, 3, 5};
    private static final double[] MV = {3, 5, 4, 2, 6}, MC = {1, 3, 2, 1, 4};
    private static final String[] DOCS = {"red running shoes", "blue running shirt", "red coffee mug"};
    private float[] vecs, fx;

    private static Path data(String name) {
        String root = System.getenv("GROWTH_SOURCE_ROOT");
        return Paths.get(root == null ? "." : root, "tests", "java", "data", name);
    }

    @BeforeAll
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
        ftrl = new Ftrl("bits=10 heads=2");
        ftrl.update(IDX, VAL, new float[] {1, 0}, 1);
        otherKind = dir.resolve("ftrl.model").toString();
        ftrl.save(otherKind);
        ffm = new FFM("fields=3 k=4 bits=10 heads=2");
        ffm.update(IDX, FLD, VAL, new float[] {1, 0}, 1);
        garbage = dir.resolve("garbage.bin").toString();
        Files.write(Paths.get(garbage), "not a libgrowth model, only some text to read".getBytes(StandardCharsets.UTF_8));
        cal = new Calibrator("method=isotonic");
        cal.fit(S8, Y8);
        bandit = new Bandit("thompson", new long[] {1, 2, 3}, 7);
        bidder = new Bidder("target_cpa=50 budget=100 day_seconds=1000");
        bidder.record(10, 1.5);
        mckp = new Mckp("threads=1");
        channels = new Channels("");
        channels.add(Channels.CURVE_EXP, 5000, 1e-4, 1, 0, 1e5);
        vecs = new float[24];
        for (int i = 0; i < vecs.length; i++) vecs[i] = (float) Math.sin(i * 1.7 + 0.3);
        index = new Index("dim=4 metric=cosine kind=hnsw");
        index.add(vecs, new long[] {10, 11, 12, 13, 14, 15});
        text = new TextIndex();
        text.add(new long[] {1, 2, 3}, DOCS);
        fx = new float[40 * 3];
        float[] fy = new float[40];
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 3; j++) fx[i * 3 + j] = ((i * (j + 3)) % 11) / 11.0f;
            fy[i] = fx[i * 3] + fx[i * 3 + 1] > 0.9f ? 1 : 0;
        }
        forest = Forest.train(fx, 40, 3, fy, "objective=binary:logistic max_depth=2", 5);
        net = Net.load(data("mlp.net").toString());
        dssm = DSSM.load(data("towers.dssm").toString());
    }

    @AfterAll
    void tearDown() throws IOException {
        for (AutoCloseable h : new AutoCloseable[] {ftrl, ffm, cal, bandit, bidder, mckp, channels, index, text, forest, net, dssm}) {
            try {
                h.close();
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        TestUtil.deleteTree(dir);
    }

    /** One row of the table: a call, the status it must fail with, and what must not change. */
    private static final class Case {
        final String name;
        final int code;
        final Executable call;
        final Supplier<Object> probe;

        Case(String name, int code, Executable call, Supplier<Object> probe) {
            this.name = name;
            this.code = code;
            this.call = call;
            this.probe = probe;
        }
    }

    private final List<Case> cases = new ArrayList<>();

    private void bad(String name, int code, Executable call) {
        cases.add(new Case(name, code, call, null));
    }

    private void bad(String name, int code, Supplier<Object> probe, Executable call) {
        cases.add(new Case(name, code, call, probe));
    }

    private float[] netInput() {
        float[] x = new float[net.denseDim()];
        for (int i = 0; i < x.length; i++) x[i] = 0.25f * i - 0.5f;
        return x;
    }

    private void buildTable() {
        final int EINVAL = Status.EINVAL, EFORMAT = Status.EFORMAT, EIO = Status.EIO,
                ENOTFOUND = Status.ENOTFOUND, ESTATE = Status.ESTATE;
        // core, features
        bad("modelKind_missing", EIO, () -> Growth.modelKind(dir.resolve("missing").toString()));
        bad("modelKind_garbage", EFORMAT, () -> Growth.modelKind(garbage));
        bad("features_bits", EINVAL, () -> Features.hash("a", "b", 0, 0));
        bad("row_config", EINVAL, () -> new Row("bits=40").close());
        bad("row_nan", EINVAL, () -> {
            try (Row r = new Row("bits=8")) {
                r.addNum("x", NAN);
            }
        });
        // ftrl
        Supplier<Object> ftrlProbe = () -> ftrl.predict(IDX, VAL);
        bad("ftrl_config", EINVAL, () -> new Ftrl("alpha=0").close());
        bad("ftrl_nan", EINVAL, ftrlProbe, () -> ftrl.predict(IDX, new float[] {1, NAN, 1}));
        bad("ftrl_index", EINVAL, ftrlProbe, () -> ftrl.predict(new int[] {1, 5, 4096}, VAL));
        bad("ftrl_label", EINVAL, ftrlProbe, () -> ftrl.update(IDX, VAL, new float[] {1, 0.5f}, 1));
        bad("ftrl_weight_inf", EINVAL, ftrlProbe, () -> ftrl.update(IDX, VAL, new float[] {1, 0}, Float.POSITIVE_INFINITY));
        bad("ftrl_load_garbage", EFORMAT, () -> Ftrl.load(garbage));
        bad("ftrl_deserialize_empty", EFORMAT, () -> Ftrl.deserialize(new byte[0]));
        // fm (a probe of every head, and the examples counter)
        Supplier<Object> fmProbe = () -> {
            float[] p = ffm.margin(IDX, FLD, VAL);
            return new float[] {p[0], p[1], ffm.stats().examples(), ffm.weight(1, IDX[0])};
        };
        bad("fm_config_k", EINVAL, () -> new FM("k=65").close());
        bad("ffm_config_no_fields", EINVAL, () -> new FFM("k=4").close());
        bad("ffm_no_fld", EINVAL, fmProbe, () -> ffm.predict(IDX, null, VAL));
        bad("ffm_field_range", EINVAL, fmProbe, () -> ffm.update(IDX, new byte[] {0, 1, 3}, VAL, new float[] {1, 0}, 1));
        bad("ffm_nan", EINVAL, fmProbe, () -> ffm.update(IDX, FLD, new float[] {1, NAN, 1}, new float[] {1, 0}, 1));
        bad("ffm_index", EINVAL, fmProbe, () -> ffm.predict(new int[] {1, 5, 1024}, FLD, VAL));
        bad("ffm_label", EINVAL, fmProbe, () -> ffm.update(IDX, FLD, VAL, new float[] {1, 0.5f}, 1));
        bad("ffm_esmm_same_head", EINVAL, fmProbe, () -> ffm.esmmUpdate(0, 0, IDX, FLD, VAL, 1, 0, 1));
        bad("ffm_head_unknown", ENOTFOUND, fmProbe, () -> ffm.headIndex("cart"));
        bad("ffm_fit_epochs", EINVAL, fmProbe, () -> ffm.fit(new FactorizationMachine.Data(new long[] {0, 3}, IDX,
                FLD, VAL, new float[] {1, 0}), null, "epochs=0"));
        bad("ffm_load_other", EFORMAT, () -> FFM.load(otherKind));
        bad("ffm_deserialize_empty", EFORMAT, () -> FFM.deserialize(new byte[0]));
        bad("ffm_import_libffm_garbage", EFORMAT, () -> FFM.importLibffm(garbage, null));
        // metrics
        bad("auc_empty", EINVAL, () -> Metrics.auc(new float[0], new float[0], null));
        bad("auc_nan", EINVAL, () -> Metrics.auc(new float[] {0.1f, NAN}, new float[] {0, 1}, null));
        bad("logloss_range", EINVAL, () -> Metrics.logLoss(new float[] {0.1f, 1.5f}, new float[] {0, 1}, null));
        bad("ece_bins", EINVAL, () -> Metrics.ece(S8, Y8, null, 0, Metrics.BINS_UNIFORM));
        bad("mce_binning", EINVAL, () -> Metrics.mce(S8, Y8, null, 4, 7));
        bad("reliability_bins", EINVAL, () -> Metrics.reliability(S8, Y8, null, (1 << 20) + 1, Metrics.BINS_QUANTILE));
        bad("fieldRce_no_positive", EINVAL, () -> Metrics.fieldRce(S8, new float[8], null, new long[8]));
        // calibration
        Supplier<Object> calProbe = () -> cal.predict(S8);
        bad("calibrator_method", EINVAL, () -> new Calibrator("method=spline").close());
        bad("calibrator_unfitted", ESTATE, () -> {
            try (Calibrator c = new Calibrator("method=platt")) {
                c.apply(0.5);
            }
        });
        bad("calibrator_nan", EINVAL, calProbe, () -> cal.apply(Double.NaN));
        bad("calibrator_fit_inf", EINVAL, () -> {
            try (Calibrator c = new Calibrator()) {
                c.fit(new float[] {0.1f, Float.POSITIVE_INFINITY, 0.3f}, new float[] {0, 1, 1});
            }
        });
        bad("calibrator_sigmoid_isotonic", ESTATE, calProbe, () -> cal.sigmoid());
        bad("calibrator_load_other", EFORMAT, () -> Calibrator.load(otherKind));
        // bandit
        Supplier<Object> banditProbe = () -> new double[] {bandit.armStats(1).alpha(), bandit.armStats(2).beta(), bandit.armCount()};
        bad("bandit_policy", EINVAL, () -> new Bandit("policy=softmax").close());
        bad("bandit_duplicate_arm", EINVAL, banditProbe, () -> bandit.addArm(1));
        bad("bandit_prior_nan", EINVAL, banditProbe, () -> bandit.addArm(9, Double.NaN, 1));
        bad("bandit_remove_unknown", ENOTFOUND, banditProbe, () -> bandit.removeArm(77));
        bad("bandit_eligible_unknown", ENOTFOUND, banditProbe, () -> bandit.select(null, new long[] {77}));
        bad("bandit_k_zero", EINVAL, banditProbe, () -> bandit.selectK(null, null, 0));
        bad("bandit_context_without_dim", EINVAL, banditProbe, () -> bandit.select(new float[] {1, 2}, null));
        bad("bandit_reward_nan", EINVAL, banditProbe, () -> bandit.reward(1, Double.NaN));
        bad("bandit_load_other", EFORMAT, () -> Bandit.load(otherKind));
        bad("bandit_ope_action", EINVAL, () -> Bandit.ope(Bandit.OPE_IPS, 2, new int[] {0, 2}, new double[] {1, 0},
                new double[] {0.5, 0.5}, new double[] {1, 0, 0, 1}, null));
        bad("bandit_ope_estimator", EINVAL, () -> Bandit.ope("softmax", 2, new int[] {0, 1}, new double[] {1, 0},
                new double[] {0.5, 0.5}, new double[] {1, 0, 0, 1}, null));
        bad("bandit_ope_estimator_int", EINVAL, () -> Bandit.ope(99, 2, new int[] {0, 1}, new double[] {1, 0},
                new double[] {0.5, 0.5}, new double[] {1, 0, 0, 1}, null));
        bad("bandit_ope_dm_no_qhat", EINVAL, () -> Bandit.ope("dm", 1, new int[] {0}, new double[] {1}, null,
                new double[] {1}, null));
        bad("bandit_ope_lambda_neg", EINVAL, () -> Bandit.ope("dros", -1.0, 1, new int[] {0}, new double[] {1},
                new double[] {1}, new double[] {1}, null));
        bad("bandit_ope_interval_conf", EINVAL, () -> Bandit.opeInterval("estimator=ips confidence=1", 1,
                new int[] {0}, new double[] {1}, new double[] {1}, new double[] {1}, null));
        bad("bandit_ope_interval_resamples", EINVAL, () -> Bandit.opeInterval("estimator=ips resamples=0", 1,
                new int[] {0}, new double[] {1}, new double[] {1}, new double[] {1}, null));
        bad("bandit_ope_interval_zero_weight", ESTATE, () -> Bandit.opeInterval("estimator=snips", 2,
                new int[] {0}, new double[] {1}, new double[] {1}, new double[] {0, 1}, null));
        bad("bandit_select_csr_on_arms", ESTATE, banditProbe,
                () -> bandit.selectCsr(new long[] {0, 1}, new int[] {1}, null));
        bad("bandit_weights_on_arms", ESTATE, banditProbe, () -> bandit.weights(new int[] {1}));
        bad("bandit_arm_stats_unknown", ENOTFOUND, banditProbe, () -> bandit.armStats(77));
        // bidding
        Supplier<Object> bidProbe = () -> new double[] {bidder.bid(0.1, 0.2, 42), bidder.spent(), bidder.multiplier()};
        bad("bidder_budget", EINVAL, () -> new Bidder("budget=0").close());
        bad("bidder_nan", EINVAL, bidProbe, () -> bidder.bid(Double.NaN, 0.2, 1));
        bad("bidder_range", EINVAL, bidProbe, () -> bidder.bid(0.1, 1.5, 1));
        bad("bidder_record_negative", EINVAL, bidProbe, () -> bidder.record(20, -1));
        bad("bidder_tick_inf", EINVAL, bidProbe, () -> bidder.tick(Double.POSITIVE_INFINITY));
        bad("bidder_auction_bid_zero", EINVAL, bidProbe, () -> bidder.auctionResult(0, true));
        bad("bidder_load_other", EFORMAT, () -> Bidder.load(otherKind));
        bad("bidder_win_rate_price", EINVAL, bidProbe, () -> bidder.winRate(-1));
        bad("bidder_plan_nan", EINVAL, bidProbe, () -> bidder.plannedSpend(Double.NaN));
        // budget
        bad("mckp_threads", EINVAL, () -> new Mckp("threads=0").close());
        bad("mckp_negative_value", EINVAL, () -> mckp.solve(IP, new double[] {3, -5, 4, 2, 6}, MC, new double[] {5}));
        bad("mckp_nan_budget", EINVAL, () -> mckp.solve(IP, MV, MC, new double[] {Double.NaN}));
        bad("mckp_indptr_decreasing", EINVAL, () -> mckp.solve(new long[] {0, 2, 1, 5}, MV, MC, new double[] {5}));
        Supplier<Object> chProbe = () -> channels.allocate(5e4).spend();
        bad("channels_kind", EINVAL, chProbe, () -> channels.add(7, 1, 1, 1, 0, 1));
        bad("channels_budget_nan", EINVAL, chProbe, () -> channels.allocate(Double.NaN));
        bad("channels_convex_points", EINVAL, chProbe, () -> channels.addPoints(new double[] {0, 1e4, 3e4}, new double[] {0, 100, 1500}, 1, 0, 1));
        bad("channels_add_kind_points_nan", EINVAL, chProbe, () -> channels.addPoints(new double[] {0, 1}, new double[] {0, Double.NaN}, 1, 0, 1));
        bad("push_category", EINVAL, () -> Budget.push(null, new long[] {0, 2}, new double[] {0.5, 0.2}, new int[] {0, 5}, 2, Double.POSITIVE_INFINITY));
        // vector index
        Supplier<Object> ixProbe = () -> index.search(new float[] {1, 0.5f, -0.25f, 2}, 3).ids();
        bad("index_dim", EINVAL, () -> new Index("dim=0").close());
        bad("index_nan", EINVAL, ixProbe, () -> index.add(new float[] {1, NAN, 0, 0}, new long[] {100}));
        bad("index_duplicate", EINVAL, ixProbe, () -> index.add(new float[] {1, 0, 0, 0}, new long[] {10}));
        bad("index_k_zero", EINVAL, ixProbe, () -> index.search(new float[] {1, 0, 0, 0}, 0));
        bad("index_query_width", EINVAL, ixProbe, () -> index.search(new float[] {1, 0, 0}, 2));
        bad("index_load_other", EFORMAT, () -> Index.load(otherKind));
        // text
        Supplier<Object> txProbe = () -> text.search("red running", 3).ids();
        bad("text_config", EINVAL, () -> new TextIndex("k1=-1").close());
        bad("text_empty_query", EINVAL, txProbe, () -> text.search("", 3));
        bad("text_k_zero", EINVAL, txProbe, () -> text.search("red", 0));
        bad("text_duplicate", EINVAL, txProbe, () -> text.add(new long[] {2}, new String[] {"again"}));
        bad("text_score_unknown", ENOTFOUND, txProbe, () -> text.score("red", new long[] {1, 99}));
        bad("text_load_other", EFORMAT, () -> TextIndex.load(otherKind));
        bad("text_fuse_old_norm_key", EINVAL, () -> TextIndex.fuse("method=weighted norm=max",
                new long[][] {{1, 2}}, new float[][] {{2f, 1f}}, null, 2));
        bad("text_fuse_normalize_value", EINVAL, () -> TextIndex.fuse("method=weighted normalize=zscore",
                new long[][] {{1, 2}}, new float[][] {{2f, 1f}}, null, 2));
        // audience (pure functions; the peer-index rows also leave the index as it was)
        final int[] aix = {0, 1, 1, 0, 2}, seed = {0, 1};
        bad("audience_seed_empty", EINVAL, () -> Audience.tgi(IP, aix, 3, new int[0]));
        bad("audience_seed_range", EINVAL, () -> Audience.interest(IP, aix, 3, new int[] {0, 3}, null));
        bad("audience_csr_column", EINVAL, () -> Audience.tgi(IP, aix, 2, seed));
        bad("audience_csr_decreasing", EINVAL, () -> Audience.tgi(new long[] {0, 2, 1, 5}, aix, 3, seed));
        bad("audience_csr_past_indices", EINVAL, () -> Audience.rules(new long[] {0, 2, 3, 9}, aix, 3, null, null));
        bad("audience_interest_key", EINVAL, () -> Audience.interest(IP, aix, 3, seed, "colour=blue"));
        bad("audience_similar_k_zero", EINVAL, () -> Audience.similarBrands(IP, aix, 3, new int[] {0}, 0));
        bad("audience_category_target", EINVAL, () -> Audience.category(IP, aix, 3, new int[] {9}, seed, null));
        bad("audience_peer_pool", EINVAL, () -> Audience.peer(new float[] {1, 0, 0, 1, 1, 1}, 2, seed, 2, null));
        bad("audience_peer_nan", EINVAL, () -> Audience.peer(new float[] {1, 0, 0, NAN, 1, 1}, 2, seed, 1, null));
        bad("audience_peer_index_missing_seed", EINVAL, ixProbe,
                () -> Audience.peerIndex(index, new int[] {10, 99}, 1, null));
        bad("audience_peer_index_mode", EINVAL, ixProbe,
                () -> Audience.peerIndex(index, new int[] {10}, 1, "mode=median"));
        bad("audience_lost_window", EINVAL, () -> Audience.lost(new int[] {0, 1}, new long[] {1, 2}, 3,
                "inactive=10 window=5"));
        bad("audience_union_flag_zero", EINVAL, () -> Audience.union(new int[][] {{1}}, new int[] {0}, 3));
        bad("audience_pu_learner", EINVAL, () -> Audience.puScore(IP, aix, null, 3, seed, new int[] {2}, "learner=svm"));
        bad("audience_select_n", EINVAL, () -> Audience.select(new int[] {1, 2}, new float[] {0.1f, 0.2f}, null, 0f, 3));
        // forest
        Supplier<Object> fProbe = () -> forest.predict(fx, 40);
        bad("forest_rounds", EINVAL, () -> Forest.train(fx, 40, 3, new float[40], "objective=binary:logistic", 0));
        bad("forest_width", EINVAL, fProbe, () -> forest.predictRow(new float[] {1, 2}));
        bad("forest_load_other", EFORMAT, () -> Forest.load(otherKind));
        bad("forest_importance_type", EINVAL, fProbe, () -> forest.importance(9));
        bad("forest_flags", EINVAL, fProbe, () -> forest.predictRow(new float[3], 0x2));
        // nets
        Supplier<Object> netProbe = () -> net.predict(netInput());
        bad("net_width", EINVAL, netProbe, () -> net.predict(new float[net.denseDim() + 1]));
        bad("net_nan", EINVAL, netProbe, () -> {
            float[] x = netInput();
            x[0] = NAN;
            net.predict(x);
        });
        bad("net_load_other", EFORMAT, () -> Net.load(otherKind));
        bad("net_load_dssm", EFORMAT, () -> Net.load(data("towers.dssm").toString()));
        Supplier<Object> dssmProbe = () -> dssm.encodeItems(DOCS);
        bad("dssm_tower", EINVAL, dssmProbe, () -> dssm.encode(7, DOCS));
        bad("dssm_load_net", EFORMAT, () -> DSSM.load(data("mlp.net").toString()));
    }

    @TestFactory
    List<DynamicTest> everyBadInputFailsWithItsStatusAndLeavesTheHandleAsItWas() {
        buildTable();
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name, () -> {
                Object before = c.probe == null ? null : c.probe.get();
                GrowthException e = assertThrows(GrowthException.class, c.call);
                assertEquals(c.code, e.code(), e.getMessage());
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), "message");
                if (c.probe != null) assertSame(before, c.probe.get());
            }));
        }
        assertTrue(tests.size() > 60);
        return tests;
    }

    private static void assertSame(Object a, Object b) {
        if (a instanceof float[]) assertArrayEquals((float[]) a, (float[]) b, 0f);
        else if (a instanceof double[]) assertArrayEquals((double[]) a, (double[]) b, 0.0);
        else if (a instanceof long[]) assertArrayEquals((long[]) a, (long[]) b);
        else assertEquals(a, b);
    }
}
