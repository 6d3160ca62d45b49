package dev.llamaj.core.kernels;

/**
 * A source of {@link Kernels}: the SPI behind {@code --kernels NAME}. Implementations are found
 * with {@link java.util.ServiceLoader}; by default the highest-ranked available one is used.
 * Implementations must have a public no-argument constructor that does no heavy work:
 * availability is asked for separately and may be slow (probing a GPU, say).
 */
public interface KernelProvider {
    /** The name users select it by: {@code scalar}, {@code vector}, {@code cuda}. */
    String name();

    /** Higher wins when nothing is selected explicitly. scalar 0, vector 100, cuda 200. */
    int rank();

    /** Whether it can run here; when not, a reason a user can act on. */
    Availability availability();

    /** Opens kernels (thread pool, device context). Throws if {@link #availability()} says no. */
    Kernels open(KernelOptions options);
}
