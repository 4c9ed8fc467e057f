package io.jlama.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one benchmark process to completion: stdout is kept whole (it carries the JSON result), stderr is kept as its
 * last lines (for the failure reason) and, when asked, echoed live. A process that outlives its time limit is killed
 * with its descendants, and so is the running one when the harness itself is stopped.
 */
final class ChildProcess {
    private static final int STDERR_LINES_KEPT = 200;
    private static final AtomicReference<Process> RUNNING = new AtomicReference<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Process p = RUNNING.get();
            if (p != null) kill(p);
        }, "kill-benchmark-child"));
    }

    /** What a finished (or killed) process left behind. */
    record Outcome(int exitCode, boolean timedOut, String stdout, List<String> stderrTail, double seconds) {
        boolean ok() {
            return !timedOut && exitCode == 0;
        }
    }

    private ChildProcess() {}

    /**
     * @param echo where stderr lines go as they come, each prefixed with {@code prefix}; null to keep them quiet
     */
    static Outcome run(List<String> command, Map<String, String> env, long timeoutSeconds, PrintStream echo, String prefix) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE);
        if (env != null) pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Outcome(-1, false, "", List.of("cannot start " + command.getFirst() + ": " + e.getMessage()), 0);
        }
        RUNNING.set(p);
        try {
            p.getOutputStream().close();
            StringBuilder out = new StringBuilder();
            Deque<String> err = new ArrayDeque<>();
            Thread outReader = Thread.ofPlatform().daemon().start(() -> drain(p.getInputStream(), line -> {
                synchronized (out) {
                    out.append(line).append('\n');
                }
            }));
            Thread errReader = Thread.ofPlatform().daemon().start(() -> drain(p.getErrorStream(), line -> {
                synchronized (err) {
                    if (err.size() == STDERR_LINES_KEPT) err.removeFirst();
                    err.addLast(line);
                }
                if (echo != null) echo.println(prefix + line);
            }));
            boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) kill(p);
            outReader.join(5_000);
            errReader.join(5_000);
            double seconds = (System.nanoTime() - t0) / 1e9;
            synchronized (out) {
                synchronized (err) {
                    return new Outcome(finished ? p.exitValue() : -1, !finished, out.toString(), new ArrayList<>(err), seconds);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.getFirst(), e);
        } finally {
            RUNNING.set(null);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void drain(InputStream in, java.util.function.Consumer<String> sink) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) sink.accept(line);
        } catch (IOException e) {
            // the process went away; what was read is kept
        }
    }
}
