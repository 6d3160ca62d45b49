package dev.llamaj.cli;

import dev.llamaj.core.Model;
import dev.llamaj.core.kernels.KvCacheType;

/** The model options every model-running command shares: --model, --kernels, --threads, --ctx, --kv-cache, --no-mmap. */
final class ModelOptions {
    private ModelOptions() {
    }

    static Model load(Args a) {
        Model.Builder b = Model.builder(a.existingFile("--model"));
        if (a.has("--kernels")) {
            b.kernels(a.required("--kernels"));
        }
        if (a.has("--threads")) {
            b.threads(a.integer("--threads", 1));
        }
        if (a.has("--ctx")) {
            b.contextLength(a.integer("--ctx", 0));
        }
        if (a.has("--kv-cache")) {
            String t = a.required("--kv-cache").toUpperCase();
            try {
                b.kvCacheType(KvCacheType.valueOf(t));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--kv-cache expects f16 or f32, got '" + a.required("--kv-cache") + "'");
            }
        }
        if (a.flag("--no-mmap")) {
            b.mmap(false);
        }
        return b.load();
    }
}
