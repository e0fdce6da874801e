package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Resource limits stated up front: ENOMEM (OutOfMemoryException) at create time and max_memory. */
class LimitsTest {
    @Test
    void terabyteTableIsRefusedAtCreate() {
        long t0 = System.nanoTime();
        OutOfMemoryException e = assertThrows(OutOfMemoryException.class, () -> new Ftrl("bits=32 heads=16"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e instanceof GrowthException);
        assertEquals(Status.ENOMEM, e.code());
        assertTrue(e.getMessage().contains("1099511627776 bytes"), e.getMessage());
        assertTrue(ms < 1000, "took " + ms + " ms");
        OutOfMemoryException c = assertThrows(OutOfMemoryException.class, () -> new Ftrl("bits=20 max_memory=1000000"));
        assertTrue(c.getMessage().contains("max_memory (1000000 bytes)"), c.getMessage());
        try (Ftrl m = new Ftrl("bits=16 max_memory=1048576")) {
            assertTrue(m.config().contains("max_memory=1048576"), m.config());
        }
    }

    @Test
    void indexAddOverTheCapLeavesTheIndexUnchanged() {
        Random r = new Random(5);
        float[] small = new float[64 * 16], big = new float[5000 * 16];
        for (int i = 0; i < small.length; i++) small[i] = (float) r.nextGaussian();
        for (int i = 0; i < big.length; i++) big[i] = (float) r.nextGaussian();
        try (Index ix = new Index("dim=16 kind=hnsw max_memory=200000")) {
            ix.add(small);
            long[] before = ix.stats();
            OutOfMemoryException e = assertThrows(OutOfMemoryException.class, () -> ix.add(big));
            assertEquals(Status.ENOMEM, e.code());
            assertTrue(e.getMessage().contains("max_memory (200000 bytes)"), e.getMessage());
            assertArrayEquals(before, ix.stats());
            assertEquals(64, ix.size());
            assertTrue(ix.config().contains("max_memory=200000"), ix.config());
        }
    }
}
