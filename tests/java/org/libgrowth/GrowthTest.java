package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrowthTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    @Test
    void versionIsOneDotXAndMatchesTheCLibrary() {
        String v = Growth.version();
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)").matcher(v);
        assertTrue(m.matches(), "version string: " + v);
        assertEquals(1, Integer.parseInt(m.group(1)));
        int number = Integer.parseInt(m.group(1)) * 10000 + Integer.parseInt(m.group(2)) * 100
                + Integer.parseInt(m.group(3));
        assertEquals(number, Growth.versionNumber());
        assertEquals(Growth.MAJOR, Growth.versionNumber() / 10000);
        // meson passes the project version, which the C library is compiled with
        String expected = System.getenv("GROWTH_EXPECTED_VERSION");
        if (expected != null && !expected.isEmpty()) assertEquals(expected, v);
    }

    @Test
    void strerrorNamesEveryStatus() {
        int[] codes = {Status.OK, Status.EINVAL, Status.ENOMEM, Status.EIO, Status.EFORMAT,
                       Status.EBUFS, Status.ESTATE, Status.EDEP, Status.ENOTFOUND};
        String[] names = new String[codes.length];
        for (int i = 0; i < codes.length; i++) {
            names[i] = Growth.strerror(codes[i]);
            assertFalse(names[i].isEmpty());
        }
        assertEquals(codes.length, Arrays.stream(names).distinct().count());
        assertNotEquals(Growth.strerror(Status.EINVAL), Growth.strerror(12345));
        assertEquals("EFORMAT", Status.name(Status.EFORMAT));
    }

    @Test
    void hash64IsThePinnedValue() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x48b581eadd05df7aL, Growth.hash64(abc, 0));
        assertNotEquals(Growth.hash64(abc, 0), Growth.hash64(abc, 1));
        byte[] padded = "xxabcyy".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Growth.hash64(abc, 7), Growth.hash64(padded, 2, 3, 7));
        assertEquals(Growth.hash64(new byte[0], 3), Growth.hash64(padded, 7, 0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> Growth.hash64(padded, 5, 3, 0));
        assertThrows(NullPointerException.class, () -> Growth.hash64(null, 0));
    }

    @Test
    void modelKindOfATextFileIsEformat() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.write(text, "this is a text file, not a libgrowth model\n".getBytes(StandardCharsets.UTF_8));
        GrowthException e = assertThrows(GrowthException.class, () -> Growth.modelKind(text.toString()));
        assertEquals(Status.EFORMAT, e.code());
        assertFalse(e.getMessage().isEmpty());

        Path empty = dir.resolve("empty.model");
        Files.write(empty, new byte[0]);
        e = assertThrows(GrowthException.class, () -> Growth.modelKind(empty.toString()));
        assertEquals(Status.EFORMAT, e.code());
    }

    @Test
    void modelKindOfAMissingFileIsEio() {
        String missing = dir.resolve("no-such-file.model").toString();
        GrowthException e = assertThrows(GrowthException.class, () -> Growth.modelKind(missing));
        assertEquals(Status.EIO, e.code());
        assertTrue(e.toString().contains("EIO"), e.toString());
        assertThrows(NullPointerException.class, () -> Growth.modelKind(null));
        assertThrows(IllegalArgumentException.class, () -> Growth.modelKind("a\0b"));
    }

    @Test
    void eachStatusHasItsExceptionSubclass() throws IOException {
        InvalidArgumentException bad = assertThrows(InvalidArgumentException.class, () -> new Ftrl("alpha=-1"));
        assertEquals(Status.EINVAL, bad.code());
        assertTrue(bad.getMessage().contains("alpha"), bad.getMessage());
        String missing = dir.resolve("no-such-file.model").toString();
        assertEquals(Status.EIO, assertThrows(IOFailureException.class, () -> Ftrl.load(missing)).code());
        Path text = dir.resolve("garbage.model");
        Files.write(text, "not a model".getBytes(StandardCharsets.UTF_8));
        assertEquals(Status.EFORMAT, assertThrows(FormatException.class, () -> Ftrl.load(text.toString())).code());
        try (Bandit b = new Bandit("policy=thompson")) {
            assertEquals(Status.ENOTFOUND, assertThrows(NotFoundException.class, () -> b.removeArm(42)).code());
        }
        // every subclass is a GrowthException: old catch blocks keep working
        assertThrows(GrowthException.class, () -> new Ftrl("no_such_key=1"));
    }
}
