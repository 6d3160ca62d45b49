package dev.llamaj.testdata;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the reference files in {@code ../shared} beside the project root. Tests that need them
 * skip with a clear message when the folder is absent, and fail instead when {@code CI=true}.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The shared folder, or a skip (a failure on CI) when it is missing. */
    public static Path root() {
        String configured = System.getProperty("llamaj.shared");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "shared");
        root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            String message = "reference data folder " + root + " is absent (it sits beside the project root as ../shared)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message + "; CI must have it");
            }
            assumeTrue(false, message + "; skipping");
        }
        return root;
    }

    /** A file below the shared folder, which must exist. */
    public static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            fail("missing reference file " + p);
        }
        return p;
    }
}
