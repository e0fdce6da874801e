package org.libgrowth;

/**
 * Entry point of the Java binding of libgrowth: versions, status names, model files and the
 * library's stable hash.
 *
 * <p>The JNI shim {@code libgrowth_jni.so} is loaded on first use: from the absolute path in the
 * system property {@code org.libgrowth.jni} when it is set, else from the copies the
 * self-contained {@code libgrowth.jar} carries for the platform (extracted to a private temporary
 * directory and checked against their SHA-256 sums), else with
 * {@code System.loadLibrary("growth_jni")} ({@code java.library.path}). At load the binding checks
 * that the running libgrowth has major version {@value #MAJOR}.
 */
public final class Growth {
    /** Major version of libgrowth this binding was written for. */
    public static final int MAJOR = 1;

    static {
        NativeLoader.load();
        int v = Native.versionNumber();
        if (v / 10000 != MAJOR)
            throw new UnsatisfiedLinkError("libgrowth " + Native.str(Native.version())
                    + " is loaded, but this binding needs libgrowth " + MAJOR + ".x");
    }

    private Growth() {}

    /** Forces the native library to load (a no-op after the first call). */
    static void ensureLoaded() {}

    /**
     * Where the JNI shim was loaded from: the {@code org.libgrowth.jni} path, {@code "jar:"} and
     * the jar's resource folder, or {@code "java.library.path"}.
     *
     * @since 1.0
     */
    public static String nativeSource() {
        return NativeLoader.source();
    }

    /** Version string of the running library, e.g. "1.0.0". */
    public static String version() {
        return Native.str(Native.version());
    }

    /** Version of the running library as major * 10000 + minor * 100 + patch. */
    public static int versionNumber() {
        return Native.versionNumber();
    }

    /** Static, human-readable name of a status code ("invalid argument", ...). */
    public static String strerror(int code) {
        return Native.str(Native.strerror(code));
    }

    /** Name of the model kind stored in a libgrowth model file ("ftrl", "forest", ...). */
    public static String modelKind(String path) {
        return Native.str(Native.kindName(Native.modelKind(Native.cstr(path, "path"))[0]));
    }

    /** Envelope format version of a libgrowth model file. */
    public static int modelFormatVersion(String path) {
        return Native.modelKind(Native.cstr(path, "path"))[1];
    }

    /** The library's stable 64-bit hash (the one used for feature hashing) of {@code data}. */
    public static long hash64(byte[] data, long seed) {
        if (data == null) throw new NullPointerException("data must not be null");
        return Native.hash64(data, 0, data.length, seed);
    }

    /** hash64 of {@code data[off, off + len)}. */
    public static long hash64(byte[] data, int off, int len, long seed) {
        if (data == null) throw new NullPointerException("data must not be null");
        if (off < 0 || len < 0 || off > data.length - len)
            throw new IndexOutOfBoundsException("range [" + off + ", " + off + "+" + len
                    + ") is outside an array of " + data.length);
        return Native.hash64(data, off, len, seed);
    }
}
