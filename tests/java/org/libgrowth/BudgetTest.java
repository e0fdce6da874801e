package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BudgetTest {
    private static GrowthException assertCode(int code, Executable call) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        return e;
    }

    /** A random instance: users with 0..3 options, integer values and costs. */
    private static final class Instance {
        final long[] indptr;
        final double[] values, costs;
        final int k;

        Instance(Random rnd, int users, int k) {
            this.k = k;
            indptr = new long[users + 1];
            List<Double> v = new ArrayList<>(), c = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                int m = rnd.nextInt(4);
                for (int j = 0; j < m; j++) {
                    v.add((double) (1 + rnd.nextInt(20)));
                    for (int b = 0; b < k; b++) c.add((double) rnd.nextInt(10));
                }
                indptr[i + 1] = indptr[i] + m;
            }
            values = v.stream().mapToDouble(Double::doubleValue).toArray();
            costs = c.stream().mapToDouble(Double::doubleValue).toArray();
        }

        /** Best value over every plan (each user: nothing or one option) within the budgets. */
        double bruteForce(double[] budgets) {
            return search(0, new double[k], budgets);
        }

        private double search(int user, double[] spent, double[] budgets) {
            if (user == indptr.length - 1) return 0;
            double best = search(user + 1, spent, budgets);
            for (long j = indptr[user]; j < indptr[user + 1]; j++) {
                boolean ok = true;
                for (int b = 0; b < k; b++) ok &= spent[b] + costs[(int) j * k + b] <= budgets[b];
                if (!ok) continue;
                for (int b = 0; b < k; b++) spent[b] += costs[(int) j * k + b];
                best = Math.max(best, values[(int) j] + search(user + 1, spent, budgets));
                for (int b = 0; b < k; b++) spent[b] -= costs[(int) j * k + b];
            }
            return best;
        }

        /** Checks a plan: choices in range, spend within budgets; returns its value. */
        double check(MckpResult r, double[] budgets) {
            int[] ch = r.choice();
            assertEquals(indptr.length - 1, ch.length);
            double value = 0;
            double[] spend = new double[k];
            for (int i = 0; i < ch.length; i++) {
                if (ch[i] < 0) {
                    assertEquals(-1, ch[i]);
                    continue;
                }
                assertTrue(ch[i] < indptr[i + 1] - indptr[i], "choice out of range");
                int j = (int) indptr[i] + ch[i];
                value += values[j];
                for (int b = 0; b < k; b++) spend[b] += costs[j * k + b];
            }
            for (int b = 0; b < k; b++) {
                assertTrue(spend[b] <= budgets[b] + 1e-9, "budget " + b + " exceeded");
                assertEquals(spend[b], r.spend()[b], 1e-9);
            }
            assertEquals(value, r.value(), 1e-9);
            return value;
        }
    }

    @Test
    void oneBudgetAgreesWithBruteForce() {
        Random rnd = new Random(42);
        for (int t = 0; t < 40; t++) {
            Instance in = new Instance(rnd, 2 + rnd.nextInt(6), 1);
            if (in.values.length == 0) continue;
            double budget = rnd.nextInt(25);
            double opt = in.bruteForce(new double[] {budget});
            MckpResult r = Budget.solveMckp(in.indptr, in.values, in.costs, budget, null);
            double v = in.check(r, new double[] {budget});
            // the plan is feasible and the certified bound holds: value <= OPT <= dual bound
            assertTrue(v <= opt + 1e-9, "value " + v + " > optimum " + opt);
            assertTrue(r.dualBound() >= opt - 1e-9, "bound " + r.dualBound() + " < " + opt);
            assertTrue(r.lpValue() >= opt - 1e-9);
            assertEquals(r.dualBound() - r.value(), r.gap(), 1e-9);
            assertEquals(in.indptr.length - 1, r.users());
            assertEquals(1, r.budgets());
            assertEquals(1, r.lambda().length);
        }
    }

    @Test
    void handMadeInstanceIsSolvedExactly() {
        // user 0: {value 10, cost 5} or {6, 2}; user 1: {7, 3}; user 2: {4, 4}; budget 8.
        // Enumerating all 3 x 2 x 2 plans: the best is 10 + 7 = 17 at cost 8.
        long[] indptr = {0, 2, 3, 4};
        double[] v = {10, 6, 7, 4};
        double[] c = {5, 2, 3, 4};
        double opt = bruteForce(indptr, v, c, 8);
        assertEquals(17, opt, 0.0);
        MckpResult r = Budget.solveMckp(indptr, v, c, 8, "threads=1");
        assertEquals(opt, r.value(), 1e-9);
        assertArrayEquals(new int[] {0, 0, -1}, r.choice());
        assertEquals(8, r.spend()[0], 1e-9);
        assertTrue(r.gap() >= -1e-9 && r.dualBound() >= opt - 1e-9);
        // the same instance with indptr not starting at 0 (a slice of larger arrays)
        long[] shifted = {1, 3, 4, 5};
        double[] v2 = {99, 10, 6, 7, 4};
        double[] c2 = {99, 5, 2, 3, 4};
        assertEquals(17, Budget.solveMckp(shifted, v2, c2, 8, null).value(), 1e-9);
    }

    /** Enumerates every plan of a one-budget instance. */
    private static double bruteForce(long[] indptr, double[] v, double[] c, double budget) {
        double best = 0;
        int n = indptr.length - 1;
        int[] pick = new int[n]; // 0 = nothing, j + 1 = option j
        while (true) {
            double val = 0, cost = 0;
            for (int i = 0; i < n; i++)
                if (pick[i] > 0) {
                    int j = (int) indptr[i] + pick[i] - 1;
                    val += v[j];
                    cost += c[j];
                }
            if (cost <= budget) best = Math.max(best, val);
            int i = 0;
            while (i < n && ++pick[i] > indptr[i + 1] - indptr[i]) pick[i++] = 0;
            if (i == n) break;
        }
        return best;
    }

    @Test
    void severalBudgetsKeepTheCertifiedBound() {
        Random rnd = new Random(7);
        for (int t = 0; t < 25; t++) {
            Instance in = new Instance(rnd, 2 + rnd.nextInt(5), 2);
            if (in.values.length == 0) continue;
            double[] budgets = {rnd.nextInt(20), rnd.nextInt(20)};
            double opt = in.bruteForce(budgets);
            try (Mckp s = new Mckp("max_iter=100")) {
                MckpResult r = s.solve(in.indptr, in.values, in.costs, budgets);
                double v = in.check(r, budgets);
                assertTrue(v <= opt + 1e-9);
                assertTrue(r.dualBound() >= opt - 1e-9, r.dualBound() + " < " + opt);
                assertEquals(2, r.lambda().length);
                for (double l : r.lambda()) assertTrue(l >= 0);
            }
        }
    }

    @Test
    void shardApiReproducesTheDualBound() {
        Instance in = new Instance(new Random(3), 40, 1);
        double budget = 60;
        try (Mckp s = new Mckp()) {
            MckpResult r = s.solve(in.indptr, in.values, in.costs, new double[] {budget});
            double[] lambda = r.lambda();
            Mckp.ShardEval e = s.shardEval(in.indptr, in.values, in.costs, 1,
                                           new double[] {lambda[0], lambda[0] + 1});
            assertEquals(2, e.value().length);
            // D(lambda) = lambda B + sum_i max(0, max_j v - lambda c)
            assertEquals(r.dualBound(), lambda[0] * budget + e.dual()[0], 1e-6 * r.dualBound());
            assertTrue(e.spend()[1] <= e.spend()[0] + 1e-9); // higher price, less spend
            Mckp.ShardAssignment a = s.shardAssign(in.indptr, in.values, in.costs, lambda);
            assertEquals(in.indptr.length - 1, a.choice().length);
            assertEquals(e.spend()[0], a.spend()[0], 1e-9);
            assertEquals(e.value()[0], a.value(), 1e-9);
            assertCode(Status.EINVAL, () -> s.shardEval(in.indptr, in.values, in.costs, 1,
                                                        new double[] {-1}));
        }
    }

    @Test
    void progressIsReportedAndCanCancel() {
        Instance in = new Instance(new Random(5), 200, 2);
        double[] budgets = {100, 100};
        try (Mckp s = new Mckp()) {
            List<Double> seen = new ArrayList<>();
            s.solve(in.indptr, in.values, in.costs, budgets, (stage, done) -> {
                assertTrue(stage != null && !stage.isEmpty());
                seen.add(done);
                return true;
            });
            assertTrue(!seen.isEmpty());
            for (double d : seen) assertTrue(d >= 0 && d <= 1, "done = " + d);

            GrowthException e = assertCode(Status.ECANCELED,
                    () -> s.solve(in.indptr, in.values, in.costs, budgets, (st, d) -> false));
            assertTrue(e.getMessage().contains("cancel"), e.getMessage());

            IllegalArgumentException boom = assertThrows(IllegalArgumentException.class,
                    () -> s.solve(in.indptr, in.values, in.costs, budgets, (st, d) -> {
                        throw new IllegalArgumentException("stop here");
                    }));
            assertEquals("stop here", boom.getMessage());
            // the solver is usable again afterwards, without a callback
            MckpResult r = s.solve(in.indptr, in.values, in.costs, budgets);
            assertTrue(r.value() > 0);
        }
    }

    @Test
    void badInputIsEinvalWithAMessage() {
        long[] ip = {0, 2, 3};
        double[] v = {1, 2, 3};
        double[] c = {1, 1, 1};
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, new double[] {1, -2, 3}, c, 5, null))
                .getMessage().contains("value");
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, v, new double[] {1, Double.NaN, 1},
                                                         5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, v, c, -1, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(new long[] {0, 2, 1}, v, c, 5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(new long[] {0, 2, 9}, v, c, 5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(new long[] {-1, 2, 3}, v, c, 5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(new long[] {0}, v, c, 5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, v, new double[] {1, 1}, 5, null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, v, c, new double[0], null));
        assertCode(Status.EINVAL, () -> Budget.solveMckp(ip, v, c, 5, "threads=0"));
        GrowthException e = assertCode(Status.EINVAL,
                () -> Budget.solveMckp(ip, v, c, 5, "no_such_key=1"));
        assertTrue(e.getMessage().contains("no_such_key"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Budget.solveMckp(null, v, c, 5, null));
        assertThrows(NullPointerException.class, () -> Budget.solveMckp(ip, null, c, 5, null));
        assertThrows(NullPointerException.class,
                () -> Budget.solveMckp(ip, v, c, (double[]) null, null));
    }

    @Test
    void channelsSplitSymmetricCurvesEvenly() {
        try (Channels ch = new Channels()) {
            double a = 5000, b = 1e-4;
            assertEquals(0, ch.add(Channels.CURVE_EXP, a, b, 1.0, 0, Double.POSITIVE_INFINITY));
            assertEquals(1, ch.add(Channels.CURVE_EXP, a, b, 1.0, 0, Double.POSITIVE_INFINITY));
            assertEquals(2, ch.count());
            double budget = 2e4;
            Channels.Allocation al = ch.allocate(budget);
            assertEquals(budget / 2, al.spend()[0], 1e-3);
            assertEquals(budget / 2, al.spend()[1], 1e-3);
            double each = a * (1 - Math.exp(-b * budget / 2));
            assertEquals(2 * each, al.total(), 1e-6);
            assertEquals(each, al.outcome()[0], 1e-6);
            assertEquals(a * b * Math.exp(-b * budget / 2), al.marginal(), 1e-9);

            Channels.Curve cv = ch.curve(new double[] {0, 1e4, 2e4, 4e4});
            assertEquals(2, cv.channels());
            assertEquals(8, cv.spend().length);
            assertEquals(al.total(), cv.total()[2], 1e-6);
            for (int i = 1; i < 4; i++) {
                assertTrue(cv.total()[i] >= cv.total()[i - 1]);
                assertTrue(cv.marginal()[i] <= cv.marginal()[i - 1] + 1e-12);
            }
        }
    }

    @Test
    void channelsWithPointsMinimumsAndBadInput() {
        try (Channels ch = new Channels()) {
            // a log curve with its minimum, and a measured piecewise-linear curve
            ch.add(Channels.CURVE_LOG, 100, 1e-3, 2.0, 500, 1e4);
            ch.addPoints(new double[] {0, 1e3, 3e3}, new double[] {0, 800, 1500}, 1.0, 0, 3e4);
            Channels.Allocation al = ch.allocate(5e3);
            assertTrue(al.spend()[0] >= 500 - 1e-9);
            assertTrue(al.spend()[0] + al.spend()[1] <= 5e3 + 1e-6);
            assertEquals(al.outcome()[0] + al.outcome()[1], al.total(), 1e-6);
            assertCode(Status.EINVAL, () -> ch.allocate(100)); // below the minimum
            assertCode(Status.EINVAL, () -> ch.allocate(Double.NaN));
            assertCode(Status.EINVAL, () -> ch.add(7, 1, 1, 1, 0, 1));
            assertCode(Status.EINVAL, () -> ch.add(Channels.CURVE_EXP, -1, 1, 1, 0, 1));
            // convex points
            assertCode(Status.EINVAL, () -> ch.addPoints(new double[] {0, 1, 2},
                                                         new double[] {0, 1, 5}, 1, 0, 2));
            assertCode(Status.EINVAL, () -> ch.addPoints(new double[] {0, 1},
                                                         new double[] {0}, 1, 0, 2));
            assertThrows(NullPointerException.class, () -> ch.addPoints(null, null, 1, 0, 1));
            assertEquals(2, ch.count());
        }
    }

    @Test
    void pushPicksTheBestPairsUnderCapsAndVolume() {
        // user 0: pairs .9 (cat 0), .5 (cat 1); user 1: .8 (cat 0), .7 (cat 1); user 2: .1 (cat 1)
        long[] up = {0, 2, 4, 5};
        double[] v = {0.9, 0.5, 0.8, 0.7, 0.1};
        int[] cat = {0, 1, 0, 1, 1};
        PushResult r = Budget.push("cap=1", up, v, cat, 2, Double.POSITIVE_INFINITY);
        assertArrayEquals(new boolean[] {true, false, true, false, true}, r.send());
        assertEquals(1.8, r.value(), 1e-9);
        assertEquals(3, r.sent());
        assertTrue(r.hour() == null);
        // volume 2: the two best users' best pairs
        r = Budget.push("cap=1", up, v, cat, 2, 2);
        assertArrayEquals(new boolean[] {true, false, true, false, false}, r.send());
        assertTrue(r.lpValue() >= r.value() - 1e-9);
        // at most one push of category 0, per-user caps of 2
        r = Budget.push(null, up, v, cat, new int[] {2, 2, 2}, 2, null, new double[] {1, 10},
                        Double.POSITIVE_INFINITY, null);
        boolean[] s = r.send();
        assertTrue(!(s[0] && s[2]), "category 0 quota violated");
        assertEquals(4, r.sent());
        assertEquals(0.9 + 0.5 + 0.7 + 0.1, r.value(), 1e-9);
        // hours: both of user 0's pushes get distinct hours, unsent pairs -1
        double[] hours = new double[3 * 24];
        for (int h = 0; h < 72; h++) hours[h] = (h % 24) / 24.0;
        r = Budget.push("cap=2", up, v, cat, null, 2, null, null, Double.POSITIVE_INFINITY,
                        hours);
        byte[] hr = r.hour();
        assertEquals(5, hr.length);
        for (int i = 0; i < 5; i++) {
            if (r.send()[i]) assertTrue(hr[i] >= 0 && hr[i] < 24);
            else assertEquals(-1, hr[i]);
        }
        if (r.send()[0] && r.send()[1]) assertTrue(hr[0] != hr[1]);

        assertCode(Status.EINVAL, () -> Budget.push(null, up, v, new int[] {0, 1, 0, 2, 1}, 2,
                                                    10));
        assertCode(Status.EINVAL, () -> Budget.push(null, up, new double[] {1, -1, 1, 1, 1}, cat,
                                                    2, 10));
        assertCode(Status.EINVAL, () -> Budget.push(null, new long[] {0, 3, 2}, v, cat, 2, 10));
        assertCode(Status.EINVAL, () -> Budget.push(null, up, v, cat, null, 2,
                                                    new double[] {5, 0}, null, 10, null));
        assertCode(Status.EINVAL, () -> Budget.push(null, up, v, cat, 2, -1));
        assertCode(Status.EINVAL, () -> Budget.push(null, up, v, cat, null, 2, null, null, 10,
                                                    new double[] {1}));
        assertThrows(NullPointerException.class, () -> Budget.push(null, up, v, null, 2, 10));
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrow() {
        Mckp s = new Mckp();
        Channels c = new Channels();
        s.close();
        s.close();
        c.close();
        c.close();
        assertTrue(s.isClosed() && c.isClosed());
        assertThrows(IllegalStateException.class, s::cancel);
        assertThrows(IllegalStateException.class,
                () -> s.solve(new long[] {0, 1}, new double[] {1}, new double[] {1},
                              new double[] {1}));
        assertThrows(IllegalStateException.class, () -> c.allocate(1));
        assertThrows(IllegalStateException.class, c::count);
    }

    /** Drives a coordinated solve over in-process shards (arrays split here) and gets the plan
     *  and prices of the single-machine solver, one and two budgets. */
    @Test
    void coordinatorOverInProcessShardsEqualsSingleMachine() {
        for (int k = 1; k <= 2; k++) {
            Random rnd = new Random(40 + k);
            int users = 3000, shards = 3;
            long[] ip = new long[users + 1];
            List<Double> vl = new ArrayList<>(), cl = new ArrayList<>();
            double[] tot = new double[k];
            for (int i = 0; i < users; i++) {
                int m = 1 + rnd.nextInt(5);
                for (int j = 0; j < m; j++) {
                    double c0 = 0.1 + 9.9 * rnd.nextDouble();
                    vl.add(5 * rnd.nextDouble() * Math.sqrt(c0));
                    for (int b = 0; b < k; b++) {
                        double cb = b == 0 ? c0 : 0.1 + 9.9 * rnd.nextDouble();
                        cl.add(cb);
                        tot[b] += cb;
                    }
                }
                ip[i + 1] = ip[i] + m;
            }
            double[] v = vl.stream().mapToDouble(Double::doubleValue).toArray();
            double[] c = cl.stream().mapToDouble(Double::doubleValue).toArray();
            double[] budgets = new double[k];
            for (int b = 0; b < k; b++) budgets[b] = 0.06 * tot[b];
            MckpResult ref;
            try (Mckp m = new Mckp("threads=2")) {
                ref = m.solve(ip, v, c, budgets);
            }
            // the shards: contiguous user ranges, each with its own arrays and solver
            long[][] sip = new long[shards][];
            double[][] sv = new double[shards][], sc = new double[shards][];
            int[][] plan = new int[shards][];
            Mckp[] solver = new Mckp[shards];
            int[] lo = new int[shards + 1];
            for (int w = 0; w <= shards; w++) lo[w] = users * w / shards;
            for (int w = 0; w < shards; w++) {
                int n = lo[w + 1] - lo[w], o0 = (int) ip[lo[w]], o1 = (int) ip[lo[w + 1]];
                sip[w] = new long[n + 1];
                for (int i = 0; i <= n; i++) sip[w][i] = ip[lo[w] + i] - o0;
                sv[w] = java.util.Arrays.copyOfRange(v, o0, o1);
                sc[w] = java.util.Arrays.copyOfRange(c, o0 * k, o1 * k);
                plan[w] = new int[n];
                solver[w] = new Mckp();
            }
            MckpResult got;
            try (MckpCoordinator co = new MckpCoordinator(shards, users, v.length, budgets, "")) {
                while (!co.next())
                    for (int w = 0; w < shards; w++) {
                        double[] rq = co.request(w);
                        if (rq != null) co.feed(w, solver[w].shardStep(sip[w], sv[w], sc[w], k, rq, plan[w]));
                    }
                got = co.result();
                assertTrue(co.stats()[0] > 0);
                assertCode(Status.ESTATE, () -> co.feed(0, new double[8]));
            }
            for (Mckp s : solver) s.close();
            int[] choice = new int[users];
            for (int w = 0; w < shards; w++) System.arraycopy(plan[w], 0, choice, lo[w], plan[w].length);
            assertArrayEquals(ref.choice(), choice);
            assertArrayEquals(ref.lambda(), got.lambda(), 0.0);   // the same prices, bit for bit
            assertEquals(ref.value(), got.value(), 1e-9 * ref.value());
            assertEquals(ref.dualBound(), got.dualBound(), 1e-9 * ref.dualBound());
            assertEquals(ref.chosen(), got.chosen());
            assertEquals(ref.iterations(), got.iterations());
        }
    }

    /** A shard failure ends the solve with its code and message; cancellation; wrong shapes. */
    @Test
    void coordinatorFailureCancelAndBadReplies() {
        long[] ip = {0, 2, 3, 5, 6};
        double[] v = {1, 2, 3, 1, 4, 2}, c = {1, 2, 2, 1, 3, 1};
        double[] budgets = {4};
        try (MckpCoordinator co = new MckpCoordinator(2, 4, 6, budgets, "");
             Mckp s = new Mckp()) {
            assertTrue(!co.next());
            double[] rq = co.request(0);
            assertCode(Status.EINVAL, () -> s.shardStep(new long[] {0, 2, 3}, v, new double[] {1, 2, 2, 1, 3, 1}, 2, rq,
                    new int[2]));
            double[] rep = s.shardStep(new long[] {0, 2, 3}, new double[] {1, 2, 3}, new double[] {1, 2, 2}, 1, rq,
                    new int[2]);
            double[] nan = rep.clone();
            nan[nan.length - 1] = Double.NaN;
            assertCode(Status.EINVAL, () -> co.feed(0, nan));
            co.feed(0, rep);
            co.fail(1, Status.EIO, "executor lost");
            GrowthException e = assertCode(Status.EIO, co::next);
            assertTrue(e.getMessage().contains("shard 1") && e.getMessage().contains("executor lost"));
            assertCode(Status.ESTATE, co::result);
        }
        try (MckpCoordinator co = new MckpCoordinator(1, 4, 6, budgets, "")) {
            co.next();
            co.cancel();
            try (Mckp s = new Mckp()) {
                co.feed(0, s.shardStep(ip, v, c, 1, co.request(0), new int[4]));
            }
            assertCode(Status.ECANCELED, co::next);
        }
        assertCode(Status.EINVAL, () -> new MckpCoordinator(0, 4, 6, budgets, "").close());
        assertCode(Status.EINVAL, () -> new MckpCoordinator(1, 4, 6, budgets, "fill=maybe").close());
    }
}
