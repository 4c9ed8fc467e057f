package io.jlama.bench;

import java.util.List;
import java.util.Locale;

/** Small text helpers for messages and table cells. */
final class Text {
    private Text() {}

    static String oneLine(String s) {
        if (s == null) return "";
        return s.replaceAll("\\s+", " ").strip();
    }

    static String firstLine(String s, int max) {
        String line = s.lines().findFirst().orElse("").strip();
        return clip(line, max);
    }

    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /**
     * The most telling line of a failed tool's stderr: an explicit error line if there is one (ours say
     * "error:", the peers' wrappers "ERROR:"), else the last exception message, else the last line that is not a stack
     * frame or a JVM warning.
     */
    static String failureLine(List<String> stderr) {
        for (int i = stderr.size() - 1; i >= 0; i--) {
            String l = stderr.get(i).strip();
            if (l.contains("error:") || l.contains("ERROR:") || l.startsWith("Error:")) return l;
        }
        for (int i = stderr.size() - 1; i >= 0; i--) {
            String l = stderr.get(i).strip();
            if (l.startsWith("Caused by:") || l.matches("(Exception in thread \"[^\"]*\" )?[\\w.$]+(Exception|Error)(: .*)?")) {
                return l;
            }
        }
        for (int i = stderr.size() - 1; i >= 0; i--) {
            String l = stderr.get(i).strip();
            if (l.isEmpty() || l.startsWith("at ") || l.startsWith("...") || l.startsWith("WARNING:")) continue;
            return l;
        }
        return "";
    }
}
