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
 * A fixed set of worker threads that run one {@link Task} at a time; the calling thread is worker 0. Workers spin
 * between tasks (a forward pass issues many small tasks back to back) and park after a few idle milliseconds. Submitting allocates
 * nothing. Tasks from several callers are serialised.
 *
 * <p>Workers join a task only while it is open: the caller closes it as soon as its own run returns, and waits just
 * for the workers that joined. A worker the operating system has not scheduled in time (a loaded machine, more
 * threads than free cores) so never holds the caller up at the barrier; the caller has done its share by then.
 * Tasks must therefore take their work from a shared counter, so that any participant can do any part.
 */
public final class WorkerPool implements AutoCloseable {
    /**
     * A unit of parallel work. Every participant calls it with its own index {@code worker < workers} (for per-worker
     * scratch buffers) and takes items from a shared counter until none are left; workers that come too late do not
     * call it at all.
     */
    @FunctionalInterface
    public interface Task {
        void run(int worker, int workers);
    }

    /** Spins of the caller waiting for the workers before it yields its core between checks. */
    private static final int SPIN_ITERATIONS = 20_000;
    /**
     * How long an idle worker spins before it parks. Waking a parked worker took about a millisecond one time in 140
     * here (a virtual machine; measured while decoding: 279 of 38169 unparks over 20 us, nearly all of the 7.7 us
     * they cost on average), so workers keep spinning through the gaps of a forward pass and of a generation loop
     * (sampling, streaming a token) and park only when the model sits idle. Counted in time, not spins: a spin
     * (PAUSE) took 30-70 ns here, so 20,000 of them lasted only 0.6-1.4 ms.
     */
    private static final long SPIN_NANOS = 5_000_000L;

    private final int threads;
    private final Thread[] workers;
    private volatile Task current;
    private volatile long generation;
    /** Workers that joined the open task, or -1 once the caller has closed it. */
    private final AtomicInteger joined = new AtomicInteger(-1);
    /** Joined workers that have finished the task. */
    private final AtomicInteger finished = new AtomicInteger();
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
        finished.set(0);
        joined.set(0); // open: from here workers may join (this write publishes current and the reset counters)
        generation++;
        for (Thread t : workers) LockSupport.unpark(t);
        Throwable mine = null;
        try {
            task.run(0, threads);
        } catch (Throwable e) {
            mine = e;
        }
        int participants = joined.getAndSet(-1); // closed: later workers skip this task
        int spins = 0;
        while (finished.get() < participants) {
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
            long idleSince = System.nanoTime();
            while (generation == seen && !closed) {
                if ((++spins & 63) != 0 || System.nanoTime() - idleSince < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 1_000_000L);
            }
            if (closed) return;
            seen = generation;
            int j;
            do {
                j = joined.get();
            } while (j >= 0 && !joined.compareAndSet(j, j + 1));
            if (j < 0) continue; // the caller finished without us
            Task t = current;
            try {
                if (t != null) t.run(index, threads);
            } catch (Throwable e) {
                failure = e;
            } finally {
                finished.incrementAndGet();
            }
        }
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
