package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** When nvcc was there at build time, the library is on the class path where JNA looks for it. */
class CudaLibraryPackagingTest {
    @Test
    void theLibraryIsOnTheClassPathUnderJnasPlatformPrefix() throws IOException {
        Assumptions.assumeTrue(nvccOnPath(), "nvcc is not on the PATH: the build skips the CUDA library");
        Assumptions.assumeFalse("true".equals(System.getenv("LLAMAJ_CUDA_SKIP")), "LLAMAJ_CUDA_SKIP=true");
        byte[] lib;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(CudaNative.RESOURCE)) {
            assertThat(in).as(CudaNative.RESOURCE + " on the class path").isNotNull();
            lib = in.readAllBytes();
        }
        assertThat(lib).startsWith(0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little endian */);
        String text = new String(lib, StandardCharsets.ISO_8859_1);
        assertThat(text).as("exports the C API").contains("llamaj_cuda_run", "llamaj_cuda_probe", "llamaj_cuda_upload");
        assertThat(text).as("carries device code").contains(".nv_fatbin");
        assertThat(com.sun.jna.Platform.RESOURCE_PREFIX).isEqualTo("linux-x86-64");
    }

    @Test
    void theFatBinaryHoldsEveryTargetArchitectureAndPtx() throws Exception {
        Path lib = Path.of("target/classes", CudaNative.RESOURCE);
        Assumptions.assumeTrue(Files.exists(lib), "the CUDA library was not built");
        Assumptions.assumeTrue(System.getenv("LLAMAJ_CUDA_ARCHS") == null, "a custom LLAMAJ_CUDA_ARCHS build");
        Process p;
        try {
            p = new ProcessBuilder("cuobjdump", "--list-elf", "--list-ptx", lib.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("cuobjdump is not on the PATH");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("sm_80", "sm_86", "sm_89", "sm_90").containsPattern("(?i)ptx.*(sm|compute)_90");
    }

    static boolean nvccOnPath() {
        if (Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))) {
            return true;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) {
                return true;
            }
        }
        return false;
    }
}
