package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;
import java.lang.reflect.InvocationTargetException;

/**
 * CPU kernels on the Vector API ({@code jdk.incubator.vector}): quantized dot products in the
 * integer domain the way llama.cpp does them, batched prefill, off-heap F16/F32 KV cache, a
 * persistent worker pool.
 *
 * <p>This class must load without the incubator module (core {@code requires static} it): it
 * never names a vector type; everything that does is reached by reflection only once
 * {@link #availability()} said yes.
 */
public final class VectorKernelProvider implements KernelProvider {
    private static final String MODULE = "jdk.incubator.vector";

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public Availability availability() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty() && !onClassPathAnyway()) {
            return Availability.no("the Vector API module is not loaded: run java with --add-modules " + MODULE);
        }
        String vmInfo = System.getProperty("java.vm.info", "");
        if (vmInfo.contains("interpreted mode")) {
            return Availability.no("the JVM runs in interpreted mode (-Xint), where the Vector API is not compiled to "
                    + "SIMD instructions: drop -Xint");
        }
        String tuning = VectorTuning.problem();
        if (tuning != null) {
            return Availability.no(tuning);
        }
        try {
            Class<?> probe = Class.forName("dev.llamaj.core.kernels.vector.SimdProbe");
            String problem = (String) probe.getMethod("problem").invoke(null);
            if (problem != null) {
                return Availability.no(problem);
            }
            return Availability.yes((String) probe.getMethod("describe").invoke(null));
        } catch (LinkageError | ReflectiveOperationException e) {
            Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            return Availability.no("the Vector API could not be used (" + cause
                    + "): run java with --add-modules " + MODULE);
        }
    }

    private static boolean onClassPathAnyway() {
        try {
            Class.forName("jdk.incubator.vector.FloatVector", false, VectorKernelProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public Kernels open(KernelOptions options) {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("vector kernels are unavailable: " + a.reason());
        }
        try {
            return (Kernels) Class.forName("dev.llamaj.core.kernels.vector.VectorKernels")
                    .getConstructor(int.class).newInstance(options.threads());
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("could not open vector kernels", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not open vector kernels", e);
        }
    }
}
