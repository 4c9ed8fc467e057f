package io.jlama.sampling;

import java.util.Collection;
import java.util.List;

/**
 * Finds stop strings in streamed text, across token boundaries, and tells how much of the text is safe to show: text
 * that could be the start of a stop string is held back until the next pieces show whether it is one, so a stop string
 * is never printed, not even in part.
 *
 * <pre>{@code
 * StopStrings stops = new StopStrings(List.of("\nUser:", "###"));
 * for (each generated piece) {
 *     out.print(stops.append(piece));
 *     if (stops.stopped()) break;          // stops.matched() is the stop string found
 * }
 * out.print(stops.flush());                // generation ended without a stop: release what was held back
 * }</pre>
 *
 * The stop string that is completed first wins (of two that end at the same character, the longer one), as if the
 * text came one character at a time, so the result does not depend on how the text is cut into pieces; the text
 * before it is released and everything from it on is dropped. (llama.cpp's server takes the earliest start among the
 * stop strings found so far; the two differ only when one piece completes two overlapping stop strings.) One instance
 * serves one stream; it is not thread-safe.
 */
public final class StopStrings {
    private final String[] stops;
    private final int longest;
    private final StringBuilder pending = new StringBuilder();
    private String matched;

    /** Matches any of {@code stops} (none is fine: then every piece is released as it comes). */
    public StopStrings(Collection<String> stops) {
        this.stops = stops.toArray(new String[0]);
        int max = 0;
        for (String s : this.stops) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty stop string");
            max = Math.max(max, s.length());
        }
        this.longest = max;
    }

    public static StopStrings of(String... stops) {
        return new StopStrings(List.of(stops));
    }

    /**
     * Adds the next piece of text and returns the part of the text so far that is now safe to emit (possibly empty).
     * Once a stop string has matched, it returns the text before the stop string, and "" from then on.
     */
    public String append(String piece) {
        if (matched != null) return "";
        if (stops.length == 0) return piece;
        pending.append(piece);
        // the stop string completed first (the earliest end), and of those ending together the longest
        int at = -1, end = -1;
        String found = null;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i < 0) continue;
            int e = i + s.length();
            if (found == null || e < end || (e == end && i < at)) {
                at = i;
                end = e;
                found = s;
            }
        }
        if (found != null) {
            matched = found;
            String out = pending.substring(0, at);
            pending.setLength(0);
            return out;
        }
        int hold = heldBack();
        int emit = pending.length() - hold;
        if (emit == 0) return "";
        String out = pending.substring(0, emit);
        pending.delete(0, emit);
        return out;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
    private int heldBack() {
        int len = pending.length();
        for (int n = Math.min(len, longest - 1); n > 0; n--) {
            for (String s : stops) {
                if (s.length() > n && startsWithSuffix(s, len - n, n)) return n;
            }
        }
        return 0;
    }

    private boolean startsWithSuffix(String stop, int from, int n) {
        for (int i = 0; i < n; i++) {
            if (pending.charAt(from + i) != stop.charAt(i)) return false;
        }
        return true;
    }

    /** True once a stop string has been found: generation should end. */
    public boolean stopped() {
        return matched != null;
    }

    /** The stop string found, or null. */
    public String matched() {
        return matched;
    }

    /** The text held back for now (it could still turn out to be the start of a stop string). */
    public String pending() {
        return pending.toString();
    }

    /** Releases the held-back text (call it when generation ends for another reason); "" after a stop. */
    public String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Forgets everything, for a new stream. */
    public void reset() {
        pending.setLength(0);
        matched = null;
    }
}
