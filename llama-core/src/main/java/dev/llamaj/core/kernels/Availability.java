package dev.llamaj.core.kernels;

/** Whether a provider can run here, and if not, why (and how to fix it). */
public record Availability(boolean available, String reason) {
    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
