package dev.llamaj.core.kernels.vector;

/** How a weight format wants its activations rounded before the dot products (as llama.cpp does). */
enum Rounding {
    /** Plain floats. */
    NONE,
    F16,
    BF16,
    /** Q8_0 blocks of 32. */
    Q8_0,
    /** Q8_0 blocks plus per-block sums, for formats with a minimum (Q4_1, Q5_1). */
    Q8_1,
    /** Q8_K blocks of 256 with sums per 16. */
    Q8_K
}
