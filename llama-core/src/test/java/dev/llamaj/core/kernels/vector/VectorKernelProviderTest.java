package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class VectorKernelProviderTest {
    @Test
    void foundByServiceLoaderAvailableWithTheModule() {
        KernelProvider p = ServiceLoader.load(KernelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(k -> k.name().equals("vector")).findFirst().orElseThrow();
        assertEquals(100, p.rank());
        Availability a = p.availability();
        // tests run with --add-modules jdk.incubator.vector on an x86-64 CPU with AVX2 or better
        assertTrue(a.available(), a.reason());
        assertTrue(a.reason().contains("SIMD"), a.reason());
        try (Kernels k = p.open(new KernelOptions(3))) {
            assertEquals("vector", k.name());
            assertEquals(3, k.threads());
        }
    }

    @Test
    void workersCoverEveryItemOnceAndStopOnClose() throws InterruptedException {
        WorkerPool pool = new WorkerPool(3);
        for (int round = 0; round < 200; round++) {
            int count = 1 + round * 7;
            AtomicIntegerArray seen = new AtomicIntegerArray(count);
            pool.run(count, 1, Long.MAX_VALUE, (w, from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < count; i++) {
                assertEquals(1, seen.get(i), "item " + i + " of " + count);
            }
        }
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.run(10, 1, Long.MAX_VALUE, (w, from, to) -> { }));
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("llamaj-vector-")) {
                t.join(10_000); // not a timing assertion: only waits for the workers to notice close()
            }
        }
    }

    @Test
    void operationsBelowTheWorkThresholdRunOnTheCallerAlone() {
        try (WorkerPool pool = new WorkerPool(2, 1000)) {
            Thread caller = Thread.currentThread();
            for (long work : new long[] {0, 999}) {
                List<String> shares = new ArrayList<>();
                pool.run(64, 1, work, (w, from, to) -> {
                    assertSame(caller, Thread.currentThread());
                    shares.add(w + ":" + from + "-" + to);
                });
                assertEquals(List.of("0:0-64"), shares, "work " + work);
            }
            // at the threshold it is split: with 64 items and a grain of 8, no share covers them all
            Set<String> shares = ConcurrentHashMap.newKeySet();
            pool.run(64, 1, 1000, (w, from, to) -> shares.add(from + "-" + to));
            assertTrue(shares.size() > 1, shares.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(2, -1));
    }

    @Test
    void aMalformedWorkThresholdPropertyIsNamedInTheError() {
        String before = System.getProperty(VectorKernels.PARALLEL_WORK_PROPERTY);
        try {
            System.setProperty(VectorKernels.PARALLEL_WORK_PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VectorKernels(2));
            assertTrue(e.getMessage().contains(VectorKernels.PARALLEL_WORK_PROPERTY) && e.getMessage().contains("lots"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(VectorKernels.PARALLEL_WORK_PROPERTY);
            } else {
                System.setProperty(VectorKernels.PARALLEL_WORK_PROPERTY, before);
            }
        }
    }

    @Test
    void aSlowWorkerDelaysOnlyItsOwnChunkAndNeverRunsAnotherOperationsItems() {
        try (WorkerPool pool = new WorkerPool(3, 0)) {
            Thread caller = Thread.currentThread();
            for (int round = 0; round < 50; round++) {
                int count = 64 + round;
                AtomicIntegerArray seen = new AtomicIntegerArray(count);
                int r = round;
                pool.run(count, 1, 1, (w, from, to) -> {
                    if (Thread.currentThread() != caller && r % 5 == 0) {
                        LockSupport.parkNanos(2_000_000); // a worker descheduled mid-chunk
                    }
                    for (int i = from; i < to; i++) {
                        seen.incrementAndGet(i);
                    }
                });
                // every item exactly once, and done by the time run returns: no late worker writes after it
                for (int i = 0; i < count; i++) {
                    assertEquals(1, seen.get(i), "item " + i + " of " + count + " in round " + round);
                }
            }
        }
    }

    @Test
    void aFailingShareIsRethrownToTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(1000, 1, Long.MAX_VALUE, (w, from, to) -> {
                if (from <= 500 && 500 < to) {
                    throw new IllegalStateException("boom at " + from);
                }
            }));
            assertTrue(e.getMessage().startsWith("boom"));
            int[] total = new int[1];
            pool.run(1, 1, Long.MAX_VALUE, (w, from, to) -> total[0] += to - from); // still usable
            assertEquals(1, total[0]);
        }
    }

    /**
     * Without {@code --add-modules jdk.incubator.vector} the provider class must still load and
     * say how to fix it (core only {@code requires static} the module).
     */
    @Test
    void withoutTheModuleItSaysWhyAndHowToFixIt() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AvailabilityMain.class.getName()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("available=false"), output);
        assertTrue(output.contains("--add-modules jdk.incubator.vector"), output);
        assertFalse(output.contains("Exception"), output);
    }

    /** Prints the vector provider's availability; run in a JVM without the incubator module. */
    public static final class AvailabilityMain {
        public static void main(String[] args) {
            Availability a = new VectorKernelProvider().availability();
            System.out.println("available=" + a.available() + " reason=" + a.reason());
        }
    }
}
