package io.jlama.cli.launcher;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Entry point of {@code java -jar jlama.jar}, compiled for Java 17 so that any JVM from 17 on can start it.
 * When this JVM is 22+ and has the Vector API module, it hands over to {@link io.jlama.cli.Main}. Otherwise it
 * relaunches the jar once with {@code --add-modules jdk.incubator.vector} and the user's JVM options, on this JVM
 * when it is recent enough, else on the newest JDK >= 22 it finds (JLAMA_JAVA_HOME, JAVA_HOME, /usr/lib/jvm ...).
 */
public final class Launcher {
    static final int MIN_FEATURE = 22;
    static final String MAIN = "io.jlama.cli.Main";
    static final String RELAUNCHED = "JLAMA_RELAUNCHED";

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        int feature = Runtime.version().feature();
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (feature >= MIN_FEATURE && (vector || System.getenv(RELAUNCHED) != null)) {
            // Either everything is in place, or a relaunch still lacks the module: run on the scalar kernels.
            Class.forName(MAIN).getMethod("main", String[].class).invoke(null, (Object) args);
            return;
        }
        if (System.getenv(RELAUNCHED) != null) {
            System.err.println("jlama: error: relaunched on Java " + feature + ", but jlama needs Java " + MIN_FEATURE + "+");
            System.exit(1);
        }
        String java = feature >= MIN_FEATURE ? currentJava() : findJava();
        if (java == null) {
            System.err.println("jlama: error: this is Java " + feature + "; jlama needs a JDK >= " + MIN_FEATURE
                    + " (25 LTS recommended). Install one, or point JLAMA_JAVA_HOME or JAVA_HOME at it.");
            System.exit(1);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("--add-modules")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN);
        for (String a : args) cmd.add(a);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(RELAUNCHED, "1");
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
        System.exit(p.waitFor());
    }

    static String currentJava() {
        Path p = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java");
        return Files.isExecutable(p) ? p.toString() : null;
    }

    /** JLAMA_JAVA_HOME or JAVA_HOME when it is a JDK >= 22, else the newest JDK >= 22 in the usual places; or null. */
    static String findJava() {
        for (String env : new String[] {"JLAMA_JAVA_HOME", "JAVA_HOME"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) {
                String bin = javaIn(Path.of(v));
                if (bin != null) return bin;
            }
        }
        String userHome = System.getProperty("user.home");
        String best = null;
        int bestFeature = 0;
        for (String dir : new String[] {"/usr/lib/jvm", "/usr/java", "/opt/java", "/Library/Java/JavaVirtualMachines",
                userHome + "/.sdkman/candidates/java", userHome + "/.jdks"}) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) continue;
            List<Path> homes = new ArrayList<>();
            try (Stream<Path> s = Files.list(d)) {
                s.forEach(h -> {
                    homes.add(h);
                    homes.add(h.resolve("Contents/Home"));
                });
            } catch (IOException e) {
                continue; // unreadable folder
            }
            for (Path h : homes) {
                String bin = javaIn(h);
                int f = featureOf(h);
                if (bin != null && f > bestFeature) {
                    best = bin;
                    bestFeature = f;
                }
            }
        }
        return best;
    }

    /** The java binary of a JDK home of feature release >= 22, or null. */
    private static String javaIn(Path home) {
        Path bin = home.resolve("bin").resolve(isWindows() ? "java.exe" : "java");
        return Files.isExecutable(bin) && featureOf(home) >= MIN_FEATURE ? bin.toString() : null;
    }

    /** The feature release of a JDK home, read from its {@code release} file; 0 when unknown. */
    static int featureOf(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) return 0;
        try {
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
                    if (v.startsWith("1.")) v = v.substring(2);
                    int end = 0;
                    while (end < v.length() && Character.isDigit(v.charAt(end))) end++;
                    return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static boolean isWindows() {
        return File.separatorChar == '\\';
    }
}
