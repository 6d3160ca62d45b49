package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Availability;
import java.util.Locale;

/**
 * Finds out, step by step, whether CUDA can run here, so an unavailable provider can say which
 * step failed: wrong platform, library not built into the jar, library not loadable, no NVIDIA
 * driver, driver too old, no device, device too old. Never throws.
 */
final class CudaProbe {
    private static Availability cached;

    private CudaProbe() {
    }

    static synchronized Availability availability() {
        if (cached == null) {
            try {
                cached = probe();
            } catch (Throwable e) { // availability must never throw, whatever the native side does
                cached = Availability.no("probing CUDA failed: " + e);
            }
        }
        return cached;
    }

    private static Availability probe() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Availability.no("the CUDA library is built for linux-x86-64 only; this is " + os + "-" + arch);
        }
        if (CudaProbe.class.getClassLoader().getResource(CudaNative.RESOURCE) == null
                && System.getProperty("jna.library.path") == null) {
            return Availability.no("the CUDA library was not built into llama-kernels-native (nvcc was not on the PATH"
                    + " when it was built); rebuild it with the CUDA toolkit installed");
        }
        String failure = CudaNative.load();
        if (failure != null) {
            return Availability.no(failure);
        }
        int[] info = new int[6];
        int status = CudaNative.llamaj_cuda_probe(info);
        String detail = CudaNative.lastError();
        return switch (status) {
            case 0 -> Availability.yes(describe(info));
            case 1 -> Availability.no("no NVIDIA driver: " + detail);
            case 3 -> Availability.no("no CUDA device: " + detail);
            case 4 -> Availability.no("NVIDIA driver too old: " + detail);
            case 5 -> Availability.no("GPU too old: " + detail);
            default -> Availability.no("CUDA cannot start: " + detail);
        };
    }

    private static String describe(int[] info) {
        long ctx = CudaNative.llamaj_cuda_create(0);
        String memory = "";
        if (ctx != 0) {
            long[] mem = new long[2];
            if (CudaNative.llamaj_cuda_mem_info(ctx, mem) == 0) {
                memory = String.format(Locale.ROOT, ", %d of %d MiB free", mem[0] >> 20, mem[1] >> 20);
            }
            CudaNative.llamaj_cuda_destroy(ctx);
        }
        return String.format(Locale.ROOT, "%s (compute capability %d.%d%s), driver CUDA %d.%d, %d device(s)",
                CudaNative.deviceName(0), info[4], info[5], memory, info[1] / 1000, info[1] % 1000 / 10, info[3]);
    }
}
