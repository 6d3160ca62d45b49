package dev.llamaj.core.kernels;

import dev.llamaj.core.KernelUnavailableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds {@link KernelProvider}s with {@link ServiceLoader} and chooses one: the name asked for,
 * else the system property {@code llamaj.kernels}, else the highest-ranked available provider.
 */
public final class KernelProviders {
    /** The system property that selects a provider by name when the caller names none. */
    public static final String PROPERTY = "llamaj.kernels";

    private static final System.Logger LOG = System.getLogger("dev.llamaj.kernels");

    private KernelProviders() {
    }

    /** Every provider on the class path or module path, highest rank first. */
    public static List<KernelProvider> all() {
        List<KernelProvider> providers = new ArrayList<>();
        ServiceLoader<KernelProvider> loader = ServiceLoader.load(KernelProvider.class, KernelProviders.class.getClassLoader());
        for (ServiceLoader.Provider<KernelProvider> p : loader.stream().toList()) {
            try {
                providers.add(p.get());
            } catch (Throwable e) {
                LOG.log(System.Logger.Level.WARNING, "kernel provider " + p.type().getName() + " failed to load: " + e);
            }
        }
        providers.sort(Comparator.comparingInt(KernelProvider::rank).reversed());
        return providers;
    }

    /**
     * The provider to use. {@code requested} (may be null) wins, then the system property;
     * a named provider that is unknown or unavailable is an error that says why and lists the
     * available ones. With no name, unavailable providers are skipped with one log line each
     * for those ranked above the one chosen.
     */
    public static KernelProvider select(String requested) {
        String name = requested != null && !requested.isBlank() ? requested : System.getProperty(PROPERTY);
        List<KernelProvider> providers = all();
        if (name != null && !name.isBlank()) {
            for (KernelProvider p : providers) {
                if (p.name().equals(name)) {
                    Availability a = p.availability();
                    if (!a.available()) {
                        throw new KernelUnavailableException("kernels '" + name + "' are unavailable: " + a.reason()
                                + " (available: " + availableNames(providers) + ")");
                    }
                    return p;
                }
            }
            throw new KernelUnavailableException("no kernels named '" + name + "' (available: "
                    + availableNames(providers) + ")");
        }
        for (KernelProvider p : providers) {
            Availability a = p.availability();
            if (a.available()) {
                return p;
            }
            LOG.log(System.Logger.Level.WARNING, "kernels '" + p.name() + "' unavailable, falling back: " + a.reason());
        }
        throw new KernelUnavailableException("no kernel provider is available (found: "
                + providers.stream().map(KernelProvider::name).collect(Collectors.joining(", ")) + ")");
    }

    private static String availableNames(List<KernelProvider> providers) {
        return providers.stream().filter(p -> p.availability().available()).map(KernelProvider::name)
                .collect(Collectors.joining(", "));
    }
}
