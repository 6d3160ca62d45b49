package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.core.KernelUnavailableException;
import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class CudaAvailabilityTest {
    @Test
    void isFoundByServiceLoaderAsCudaRankedAboveVector() {
        KernelProvider cuda = ServiceLoader.load(KernelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        assertThat(cuda.rank()).isEqualTo(200);
    }

    @Test
    void withoutAnNvidiaDeviceItIsUnavailableAndSaysWhichStepFailed() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "this machine has /dev/nvidia0");
        Availability a = new CudaKernelProvider().availability();
        assertThat(a.available()).isFalse();
        assertThat(a.reason()).isNotBlank();
        boolean libraryInJar = CudaProbe.class.getClassLoader().getResource(CudaNative.RESOURCE) != null;
        if (libraryInJar) {
            // the library loads (its CUDA runtime is static); the driver or a device is what is missing
            assertThat(a.reason()).containsAnyOf("no NVIDIA driver: cannot load libcuda.so.1", "no CUDA device");
        } else {
            assertThat(a.reason()).contains("not built");
        }
    }

    @Test
    void openingItWhereItIsUnavailableIsAClearError() {
        Availability a = new CudaKernelProvider().availability();
        Assumptions.assumeFalse(a.available(), "a GPU is available here");
        assertThatThrownBy(() -> new CudaKernelProvider().open(new KernelOptions(1)))
                .isInstanceOf(KernelUnavailableException.class)
                .hasMessage("kernels 'cuda' are not available: " + a.reason());
    }

    @Test
    void availabilityIsAnsweredAgainWithoutThrowing() {
        Availability first = new CudaKernelProvider().availability();
        assertThat(new CudaKernelProvider().availability()).isEqualTo(first);
    }
}
