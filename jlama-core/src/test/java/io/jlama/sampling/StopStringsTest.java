package io.jlama.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {

    /** Feeds the pieces and returns what was emitted, piece by piece (flushed at the end unless stopped). */
    private static List<String> feed(StopStrings s, String... pieces) {
        List<String> out = new ArrayList<>();
        for (String p : pieces) {
            out.add(s.append(p));
            if (s.stopped()) return out;
        }
        out.add(s.flush());
        return out;
    }

    @Test
    void aStopStringSplitAcrossPiecesIsNeverPrinted() {
        StopStrings s = StopStrings.of("###");
        assertEquals(List.of("Hello ", "", ""), feed(s, "Hello #", "#", "# world"));
        assertTrue(s.stopped());
        assertEquals("###", s.matched());
        assertEquals("", s.append("more"), "nothing after a stop");
    }

    @Test
    void heldBackTextIsReleasedWhenItIsNotAStop() {
        StopStrings s = StopStrings.of("###");
        List<String> out = feed(s, "a #", "# b", " c");
        assertEquals(List.of("a ", "## b", " c", ""), out);
        assertFalse(s.stopped());
        assertNull(s.matched());
    }

    @Test
    void heldBackTextIsReleasedAtTheEnd() {
        StopStrings s = StopStrings.of("</s>");
        assertEquals("text", s.append("text</"));
        assertEquals("</", s.pending());
        assertEquals("</", s.flush());
    }

    @Test
    void overlappingPartialMatches() {
        // "xababac": the first "ab" is not the start of the stop, the second is
        StopStrings s = StopStrings.of("abac");
        assertEquals(List.of("x", "ab", ""), feed(s, "xab", "ab", "ac"));
        assertTrue(s.stopped());
        // "aaab" with stop "aab": the hold-back keeps the longest possible start ("aa")
        StopStrings t = StopStrings.of("aab");
        assertEquals(List.of("", "", "a", ""), feed(t, "a", "a", "a", "b"));
        assertTrue(t.stopped());
    }

    @Test
    void theFirstCompletedStopWins() {
        StopStrings s = StopStrings.of("D", "END");
        assertEquals(List.of("x"), feed(s, "xEND"));
        assertEquals("END", s.matched());
        StopStrings t = StopStrings.of("bc", "abc");
        assertEquals(List.of(""), feed(t, "abc"));
        assertEquals("abc", t.matched());
        // "bc" is complete before "abcd" is, even when both arrive in one piece
        StopStrings u = StopStrings.of("abcd", "bc");
        assertEquals(List.of("a"), feed(u, "abcd"));
        assertEquals("bc", u.matched());
        StopStrings v = StopStrings.of("abcd", "bc");
        assertEquals(List.of("", "", "a"), feed(v, "a", "b", "cd"));
    }

    @Test
    void aStopInsideOnePieceDropsTheRest() {
        StopStrings s = StopStrings.of("STOP");
        assertEquals(List.of("abc "), feed(s, "abc STOP def"));
    }

    @Test
    void noStopsPassEverythingThrough() {
        StopStrings s = new StopStrings(List.of());
        assertEquals(List.of("a", "#", ""), feed(s, "a", "#"));
        assertThrows(IllegalArgumentException.class, () -> StopStrings.of(""));
    }

    @Test
    void randomStreamsEmitExactlyTheTextBeforeTheFirstStop() {
        SplittableRandom rnd = new SplittableRandom(17);
        String alphabet = "ab c\n";
        for (int rep = 0; rep < 3000; rep++) {
            List<String> stops = new ArrayList<>();
            int ns = 1 + rnd.nextInt(3);
            for (int i = 0; i < ns; i++) stops.add(randomText(rnd, alphabet, 1 + rnd.nextInt(4)));
            String text = randomText(rnd, alphabet, rnd.nextInt(30));
            int first = firstStop(text, stops);
            String want = first < 0 ? text : text.substring(0, first);
            StopStrings s = new StopStrings(stops);
            StringBuilder got = new StringBuilder();
            int pos = 0;
            while (pos < text.length() && !s.stopped()) {
                int len = Math.min(text.length() - pos, 1 + rnd.nextInt(4));
                got.append(s.append(text.substring(pos, pos + len)));
                pos += len;
                assertTrue(want.startsWith(got.toString()), "emitted more than the answer: [" + got + "] / [" + want + "] stops " + stops + " text [" + text + "]");
                // what is held back is only ever a possible start of a stop string
                String held = s.pending();
                if (!held.isEmpty()) assertTrue(stops.stream().anyMatch(st -> st.startsWith(held) && st.length() > held.length()));
            }
            if (!s.stopped()) got.append(s.flush());
            assertEquals(want, got.toString(), "stops " + stops + " text " + text);
            assertEquals(first >= 0, s.stopped());
        }
    }

    /** Where the output ends when the text comes one character at a time: the start of the first completed stop. */
    private static int firstStop(String text, List<String> stops) {
        for (int end = 1; end <= text.length(); end++) {
            int start = -1;
            for (String st : stops) {
                int s = end - st.length();
                if (s >= 0 && text.startsWith(st, s) && (start < 0 || s < start)) start = s;
            }
            if (start >= 0) return start;
        }
        return -1;
    }

    private static String randomText(SplittableRandom rnd, String alphabet, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        return b.toString();
    }
}
