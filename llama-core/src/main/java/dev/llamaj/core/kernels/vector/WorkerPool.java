package dev.llamaj.core.kernels.vector;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Persistent daemon workers that split a range of work items with the calling thread. A token of
 * a small model runs a few hundred operations a few microseconds apart, so workers spin on a
 * phase counter for a while before parking: waking parked threads for every operation would
 * cost more than the work.
 *
 * <p>Chunks are claimed dynamically, each a share of what is left, shrinking to a 16th of a
 * thread's share (guided scheduling: few claims, and whoever runs out first waits for at most a
 * small chunk), and the caller waits only for the chunks that were claimed,
 * not for every worker to check in: a worker that is parked, or whose (virtual) CPU the system
 * has taken away, takes no part in an operation it wakes too late for, instead of holding the
 * caller until it has woken just to find nothing left. What remains is a worker descheduled while
 * it holds a chunk: on the 2-vCPU machines here about one operation in 200 of a 2-thread
 * TinyLlama decode still waits 1-2 ms for one.
 *
 * <p>One operation runs at a time; {@link #run} is called from one thread at a time (the
 * kernels' owner), as the {@code Kernels} contract says.
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

    /**
     * One operation. {@code cursor} holds the operation's sequence number in its high 32 bits and
     * the next unclaimed item in its low 32, so a worker still holding an older operation can
     * never claim items of a newer one: its compare-and-set fails on the sequence number.
     */
    private record Op(int seq, Task task, int count, int grain, AtomicLong done) {
    }

    private final long parallelWork;
    private final Thread[] workers;
    private final AtomicIntegerArray parked;
    private final AtomicLong cursor = new AtomicLong();
    private volatile Op op;
    private volatile boolean closed;
    private volatile Throwable failure;
    private int seq;

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
        // the smallest chunk: a 16th of a thread's share, at least minGrain (each claim moves a cache line between cores)
        int min = Math.max(1, minGrain);
        int grain = Math.max(min, count / (threads * 16) / min * min);
        Op o = new Op(++seq, task, count, grain, new AtomicLong());
        cursor.set((long) o.seq << 32);
        op = o;
        for (int i = 0; i < workers.length; i++) {
            if (parked.get(i) != 0) {
                LockSupport.unpark(workers[i]);
            }
        }
        work(0, o);
        // only claimed chunks are waited for; every item is claimed by now, most by this thread
        int spins = 0;
        while (o.done.get() != count) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
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

    private void work(int id, Op o) {
        long hi = (long) o.seq << 32;
        int n = o.count;
        while (true) {
            long c = cursor.get();
            int from = (int) c;
            if ((c & 0xFFFF_FFFF_0000_0000L) != hi || from >= n) {
                return;
            }
            // guided: a share of what is left, shrinking to the grain, so the last chunks are small and
            // whoever finishes first waits at most a grain for the other
            int share = (n - from) / (2 * threads()) / o.grain * o.grain;
            int to = Math.min(n, from + Math.max(o.grain, share));
            if (!cursor.compareAndSet(c, hi | to)) {
                continue;
            }
            try {
                o.task.run(id, from, to);
            } catch (Throwable t) {
                failure = t;
                // let the others stop early: the rest of the items count as done, unclaimed
                long rest = cursor.getAndSet(hi | n);
                if ((rest & 0xFFFF_FFFF_0000_0000L) == hi && (int) rest < n) {
                    o.done.addAndGet(n - (int) rest);
                }
            } finally {
                o.done.addAndGet(to - from);
            }
        }
    }

    private void loop(int id) {
        int seen = 0;
        while (true) {
            int spins = 0;
            Op o;
            while ((o = op) == null || o.seq == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    parked.set(id - 1, 1);
                    o = op;
                    if ((o == null || o.seq == seen) && !closed) {
                        LockSupport.park(this);
                    }
                    parked.set(id - 1, 0);
                }
            }
            seen = o.seq;
            work(id, o);
        }
    }

    @Override
    public void close() {
        closed = true;
        op = null;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
