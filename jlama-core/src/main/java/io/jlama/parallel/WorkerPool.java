package io.jlama.parallel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that run one {@link Task} at a time, split by worker index; the calling thread is
 * worker 0. Workers spin briefly between tasks (a forward pass issues many small tasks back to back) and then park.
 * Submitting allocates nothing. Tasks from several callers are serialised.
 */
public final class WorkerPool implements AutoCloseable {
    /** A unit of parallel work: worker {@code w} of {@code n} does its share. */
    @FunctionalInterface
    public interface Task {
        void run(int worker, int workers);
    }

    private static final int SPIN_ITERATIONS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private volatile Task current;
    private volatile long generation;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;
    private volatile boolean closed;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            final int index = i;
            Thread t = new Thread(() -> workerLoop(index), "jlama-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs the task on every worker and returns when all are done; rethrows the first failure. */
    public synchronized void run(Task task) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (threads == 1) {
            task.run(0, 1);
            return;
        }
        failure = null;
        current = task;
        pending.set(threads - 1);
        generation++;
        for (Thread t : workers) LockSupport.unpark(t);
        Throwable mine = null;
        try {
            task.run(0, threads);
        } catch (Throwable e) {
            mine = e;
        }
        int spins = 0;
        while (pending.get() > 0) {
            if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
            else Thread.yield();
        }
        current = null;
        Throwable f = mine != null ? mine : failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new RuntimeException(f);
    }

    private void workerLoop(int index) {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 1_000_000L);
            }
            if (closed) return;
            seen = generation;
            Task t = current;
            try {
                if (t != null) t.run(index, threads);
            } catch (Throwable e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Start of worker w's share of n items split evenly over the workers. */
    public static int start(int w, int workers, int n) {
        return (int) ((long) n * w / workers);
    }

    /** End (exclusive) of worker w's share. */
    public static int end(int w, int workers, int n) {
        return (int) ((long) n * (w + 1) / workers);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
    }

    /**
     * Physical cores of this machine: distinct (physical id, core id) pairs in /proc/cpuinfo on Linux, else the
     * available processors. More threads than cores makes decoding slower, so this is the default thread count.
     */
    public static int physicalCores() {
        int logical = Runtime.getRuntime().availableProcessors();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            Set<String> cores = new HashSet<>();
            String phys = "0";
            for (String line : lines) {
                int c = line.indexOf(':');
                if (c < 0) continue;
                String k = line.substring(0, c).trim();
                String v = line.substring(c + 1).trim();
                if (k.equals("physical id")) phys = v;
                else if (k.equals("core id")) cores.add(phys + "/" + v);
            }
            if (!cores.isEmpty()) return Math.max(1, Math.min(cores.size(), logical));
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: fall back below
        }
        return Math.max(1, logical);
    }
}
