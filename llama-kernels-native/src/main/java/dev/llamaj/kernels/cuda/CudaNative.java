package dev.llamaj.kernels.cuda;

import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;

/**
 * The C API of {@code libllamaj_cuda.so} ({@code src/main/cuda/llamaj_cuda.cu}), bound with JNA
 * direct mapping: static natives, no proxy, arrays passed straight through. Functions return 0
 * (or a non-zero handle) on success; {@link #lastError()} then says what failed.
 *
 * <p>Nothing is bound until {@link #load()} succeeds; every other method needs it.
 */
final class CudaNative {
    /** The library's name; JNA finds {@code linux-x86-64/libllamaj_cuda.so} on the class path. */
    static final String LIBRARY = "llamaj_cuda";
    /** Where the build puts the library inside the jar (JNA's resource prefix for this platform). */
    static final String RESOURCE = "linux-x86-64/libllamaj_cuda.so";

    private static String loadFailure;
    private static boolean loaded;

    private CudaNative() {
    }

    /** Binds the natives once; returns null when bound, or why they could not be. Never throws. */
    static synchronized String load() {
        if (!loaded && loadFailure == null) {
            try {
                Native.register(CudaNative.class, LIBRARY);
                loaded = true;
            } catch (Throwable e) { // UnsatisfiedLinkError, a JNA dispatch library that will not load, ...
                loadFailure = "cannot load lib" + LIBRARY + ".so: " + e;
            }
        }
        return loadFailure;
    }

    /** The calling thread's last error message from the library. */
    static String lastError() {
        byte[] buf = new byte[1024];
        int n = llamaj_cuda_last_error(buf, buf.length);
        return new String(buf, 0, Math.max(0, Math.min(n, buf.length - 1)), StandardCharsets.UTF_8);
    }

    static String deviceName(int device) {
        byte[] buf = new byte[256];
        if (llamaj_cuda_device_name(device, buf, buf.length) != 0) {
            return "device " + device;
        }
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    static native int llamaj_cuda_probe(int[] info);

    static native int llamaj_cuda_device_name(int device, byte[] buf, int len);

    static native int llamaj_cuda_last_error(byte[] buf, int len);

    static native long llamaj_cuda_create(int device);

    static native int llamaj_cuda_destroy(long ctx);

    static native int llamaj_cuda_mem_info(long ctx, long[] freeAndTotal);

    static native long llamaj_cuda_alloc(long ctx, long bytes);

    static native int llamaj_cuda_free(long ctx, long address);

    static native int llamaj_cuda_upload(long ctx, long dst, long hostAddress, long bytes);

    static native int llamaj_cuda_run(long ctx, int[] ops, int opInts, long[] addresses, int addressCount,
                                      float[] payload, int payloadCount, long readSrc, float[] readDst, int readCount);
}
