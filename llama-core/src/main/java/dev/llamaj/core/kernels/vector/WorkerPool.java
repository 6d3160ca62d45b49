package dev.llamaj.core.kernels.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Persistent daemon workers that split a range of work items with the calling thread. A token of
 * a small model runs a few hundred operations a few microseconds apart, so workers spin on a
 * phase counter for a while before parking: waking parked threads for every operation would
 * cost more than the work. Chunks are handed out dynamically so a descheduled worker (shared
 * cores) delays only its own chunk.
 */
final class WorkerPool implements AutoCloseable {
    /** A share of a parallel operation: items {@code [from, to)} run on worker {@code worker} (0 = caller). */
    interface Task {
        void run(int worker, int from, int to);
    }

    private static final int SPINS = 1 << 15;
    /**
     * Default {@link #parallelWork}: about 15 µs of a quantized matrix × vector. Handing an
     * operation to a spinning worker costs a few microseconds (cache lines moving between cores),
     * one that has parked costs tens, so smaller operations run faster on the caller alone: a token
     * of a model with 64-wide layers ran 4× slower on 2 threads than on 1 before this threshold.
     */
    static final long DEFAULT_PARALLEL_WORK = 1L << 18;

    private final long parallelWork;

    private final Thread[] workers;
    private final AtomicIntegerArray parked;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long phase;
    private volatile boolean closed;
    private volatile Throwable failure;
    // published to workers by the volatile write of phase
    private Task task;
    private int count;
    private int grain;

    /** A pool that splits every operation large enough to have {@link #DEFAULT_PARALLEL_WORK} of work. */
    WorkerPool(int threads) {
        this(threads, DEFAULT_PARALLEL_WORK);
    }

    /**
     * @param threads      threads in all, the caller included
     * @param parallelWork the estimated work (see {@link #run}) below which an operation runs on the
     *                     caller alone; 0 splits every operation (tests use it to exercise the split paths)
     */
    WorkerPool(int threads, long parallelWork) {
        if (threads < 1 || parallelWork < 0) {
            throw new IllegalArgumentException("threads " + threads + " and parallelWork " + parallelWork + " must be positive");
        }
        this.parallelWork = parallelWork;
        workers = new Thread[threads - 1];
        parked = new AtomicIntegerArray(Math.max(1, workers.length));
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = new Thread(() -> loop(id), "llamaj-vector-" + id);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code task} over {@code [0, count)} in chunks of at least {@code minGrain} items,
     * returning when all are done; on the caller alone when {@code work}, the operation's estimated
     * cost in multiply-adds (element-wise operations count a few per element), is below the
     * pool's threshold.
     */
    void run(int count, int minGrain, long work, Task task) {
        if (closed) {
            throw new IllegalStateException("vector kernels are closed");
        }
        int threads = threads();
        if (threads == 1 || count <= minGrain || work < parallelWork) {
            task.run(0, 0, count);
            return;
        }
        this.task = task;
        this.count = count;
        this.grain = Math.max(minGrain, count / (threads * 4));
        next.set(0);
        pending.set(workers.length);
        phase++;
        for (int i = 0; i < workers.length; i++) {
            if (parked.get(i) != 0) {
                LockSupport.unpark(workers[i]);
            }
        }
        try {
            work(0);
        } finally {
            int spins = 0;
            while (pending.get() != 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            this.task = null;
        }
        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    private void work(int id) {
        Task t = task;
        int n = count;
        int g = grain;
        int from;
        while ((from = next.getAndAdd(g)) < n) {
            t.run(id, from, Math.min(n, from + g));
        }
    }

    private void loop(int id) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (phase == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    parked.set(id - 1, 1);
                    if (phase == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked.set(id - 1, 0);
                }
            }
            if (closed) {
                return;
            }
            seen = phase;
            try {
                work(id);
            } catch (Throwable t) {
                failure = t;
                next.set(Integer.MAX_VALUE / 2);
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
