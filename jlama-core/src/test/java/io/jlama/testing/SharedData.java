package io.jlama.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only reference data in {@code ../shared} (override with the environment variable JLAMA_SHARED).
 * A missing file skips the test on a developer machine but fails it under CI ({@code CI=true}). Tests never write
 * there: scratch files go under {@code target/}.
 */
public final class SharedData {
    private SharedData() {
    }

    public static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    /** The shared folder. */
    public static Path root() {
        String env = System.getenv("JLAMA_SHARED");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath().normalize();
        String dflt = System.getenv("JLAMA_SHARED_DEFAULT"); // set by the build to <project>/../shared
        if (dflt != null && !dflt.isBlank()) return Path.of(dflt).toAbsolutePath().normalize();
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path c = p.resolveSibling("shared");
            if (Files.isDirectory(c.resolve("reference"))) return c.normalize();
        }
        return dir.resolve("../shared").normalize();
    }

    /** A file or folder under the shared root that the test needs. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "reference data missing: " + p + " (set JLAMA_SHARED to the shared folder)";
            if (CI) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    /** Reads a raw little-endian float32 file. */
    public static float[] readF32(Path p) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            float[] f = new float[b.remaining() / 4];
            b.asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** A scratch folder under the module's target/ directory. */
    public static Path scratch(String name) {
        try {
            Path p = Path.of("target", "scratch", name).toAbsolutePath();
            Files.createDirectories(p);
            return p;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
