package org.libgrowth;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds and loads the JNI shim {@code libgrowth_jni.so} (and the C library it links,
 * {@code libgrowth.so.1}), in this order:
 * <ol>
 * <li>the absolute path in the system property {@code org.libgrowth.jni}, when it is set;</li>
 * <li>the libraries the jar carries for this platform under
 * {@code org/libgrowth/native/<os>-<arch>/} (the self-contained {@code libgrowth.jar}): they are
 * copied into a new private directory (owner-only permissions) under {@code java.io.tmpdir} (or
 * the property {@code org.libgrowth.tmpdir}), their SHA-256 sums are checked against the jar's
 * {@code SHA256SUMS}, {@code libgrowth.so.1} is loaded first (so the shim's dependency resolves to
 * this copy by its SONAME) and then the shim; the copies are deleted once loaded;</li>
 * <li>{@code System.loadLibrary("growth_jni")}, i.e. {@code java.library.path} (Debian's
 * {@code libgrowth-java} installs the shim in {@code /usr/lib/<triplet>/jni}, on the default
 * path).</li>
 * </ol>
 * Set {@code -Dorg.libgrowth.bundled=false} to skip the jar's copies.
 */
final class NativeLoader {
    /** Resource folder of the bundled libraries ({@code org/libgrowth/native/linux-x86_64}). */
    static final String RESOURCE_ROOT = "/org/libgrowth/native/";

    /** How the shim was found, for {@link Growth#nativeSource()}. */
    private static String source = "not loaded";

    private NativeLoader() {}

    static String source() {
        return source;
    }

    /** {@code <os>-<arch>} as the jar's resource folders name it, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) os = "linux";
        else if (os.startsWith("mac") || os.startsWith("darwin")) os = "darwin";
        else if (os.startsWith("windows")) os = "windows";
        switch (arch) {
            case "amd64":
            case "x86_64":
                arch = "x86_64";
                break;
            case "arm64":
            case "aarch64":
                arch = "aarch64";
                break;
            default:
                break;
        }
        return os + "-" + arch;
    }

    static synchronized void load() {
        String path = System.getProperty("org.libgrowth.jni");
        if (path != null && !path.isEmpty()) {
            System.load(path);
            source = path;
            return;
        }
        List<String> failures = new ArrayList<>();
        if (!"false".equals(System.getProperty("org.libgrowth.bundled"))) {
            String dir = RESOURCE_ROOT + platform() + "/";
            if (NativeLoader.class.getResource(dir + "SHA256SUMS") != null) {
                try {
                    loadBundled(dir);
                    source = "jar:" + dir;
                    return;
                } catch (IOException | UncheckedIOException | UnsatisfiedLinkError | SecurityException e) {
                    failures.add("bundled " + dir + ": " + e.getMessage());
                }
            } else {
                failures.add("the jar carries no libraries for " + platform());
            }
        }
        try {
            System.loadLibrary("growth_jni");
            source = "java.library.path";
        } catch (UnsatisfiedLinkError e) {
            failures.add("java.library.path (" + System.getProperty("java.library.path") + "): "
                    + e.getMessage());
            throw new UnsatisfiedLinkError("libgrowth: cannot load libgrowth_jni.so: "
                    + String.join("; ", failures));
        }
    }

    /** The {@code SHA256SUMS} resource: file name to lower-case hex digest, in file order. */
    private static Map<String, String> readSums(String dir) throws IOException {
        Map<String, String> sums = new LinkedHashMap<>();
        try (InputStream in = NativeLoader.class.getResourceAsStream(dir + "SHA256SUMS")) {
            if (in == null) throw new IOException("no SHA256SUMS");
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            for (String line : text.split("\n")) {
                line = line.trim();
                if (line.isEmpty()) continue;
                String[] f = line.split("\\s+\\*?", 2);
                if (f.length != 2 || f[0].length() != 64 || f[1].contains("/"))
                    throw new IOException("malformed SHA256SUMS line: " + line);
                sums.put(f[1], f[0].toLowerCase(Locale.ROOT));
            }
        }
        if (!sums.containsKey("libgrowth_jni.so"))
            throw new IOException("SHA256SUMS does not list libgrowth_jni.so");
        return sums;
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        byte[] d = md.digest(Files.readAllBytes(file));
        StringBuilder sb = new StringBuilder(64);
        for (byte b : d) sb.append(String.format("%02x", b & 0xff));
        return sb.toString();
    }

    private static void loadBundled(String dir) throws IOException {
        Map<String, String> sums = readSums(dir);
        String base = System.getProperty("org.libgrowth.tmpdir");
        Path parent = Paths.get(base != null && !base.isEmpty() ? base
                : System.getProperty("java.io.tmpdir"));
        Path tmp;
        try {
            tmp = Files.createTempDirectory(parent, "libgrowth-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) { // not a POSIX file system
            tmp = Files.createTempDirectory(parent, "libgrowth-");
        }
        List<Path> files = new ArrayList<>();
        try {
            for (Map.Entry<String, String> e : sums.entrySet()) {
                Path out = tmp.resolve(e.getKey());
                try (InputStream in = NativeLoader.class.getResourceAsStream(dir + e.getKey())) {
                    if (in == null) throw new IOException(e.getKey() + " is listed but missing");
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                files.add(out);
                String got = sha256(out);
                if (!got.equals(e.getValue()))
                    throw new IOException(e.getKey() + ": SHA-256 " + got + " differs from the jar's "
                            + e.getValue());
            }
            // Dependencies first (SHA256SUMS lists libgrowth.so.1 before the shim): the shim's
            // DT_NEEDED libgrowth.so.1 then resolves to the copy already loaded.
            for (Path f : files) System.load(f.toAbsolutePath().toString());
        } finally {
            for (Path f : files) Files.deleteIfExists(f);
            Files.deleteIfExists(tmp);
        }
    }
}
