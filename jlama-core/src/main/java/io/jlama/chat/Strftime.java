package io.jlama.chat;

import java.time.LocalDateTime;
import java.time.temporal.IsoFields;

/**
 * C's {@code strftime} in the C locale, for {@code strftime_now(fmt)}: templates ask for formats such as
 * {@code "%d %b %Y"} (26 Jul 2024), {@code "%Y-%m-%d"} and {@code "%B %d, %Y"}. Time zone directives print nothing
 * ({@code %Z}) or nothing useful ({@code %z}): transformers uses a naive local datetime too.
 */
final class Strftime {
    private Strftime() {
    }

    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"};

    static String format(LocalDateTime t, String fmt) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            String day = DAYS[t.getDayOfWeek().getValue() - 1];
            String month = MONTHS[t.getMonthValue() - 1];
            int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
            switch (d) {
                case 'a' -> sb.append(day, 0, 3);
                case 'A' -> sb.append(day);
                case 'b', 'h' -> sb.append(month, 0, 3);
                case 'B' -> sb.append(month);
                case 'd' -> two(sb, t.getDayOfMonth());
                case 'e' -> sb.append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth());
                case 'm' -> two(sb, t.getMonthValue());
                case 'y' -> two(sb, t.getYear() % 100);
                case 'Y' -> sb.append(t.getYear());
                case 'C' -> two(sb, t.getYear() / 100);
                case 'H' -> two(sb, t.getHour());
                case 'I' -> two(sb, hour12);
                case 'M' -> two(sb, t.getMinute());
                case 'S' -> two(sb, t.getSecond());
                case 'f' -> sb.append(String.format("%06d", t.getNano() / 1000));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> sb.append(t.getDayOfWeek().getValue());
                case 'U' -> two(sb, (t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7);
                case 'W' -> two(sb, (t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7);
                case 'V' -> two(sb, t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
                case 'G' -> sb.append(t.get(IsoFields.WEEK_BASED_YEAR));
                case 'c' -> sb.append(day, 0, 3).append(' ').append(month, 0, 3).append(' ')
                        .append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth()).append(' ')
                        .append(String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond())).append(' ').append(t.getYear());
                case 'x' -> sb.append(String.format("%02d/%02d/%02d", t.getMonthValue(), t.getDayOfMonth(), t.getYear() % 100));
                case 'X', 'T' -> sb.append(String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond()));
                case 'R' -> sb.append(String.format("%02d:%02d", t.getHour(), t.getMinute()));
                case 'D' -> sb.append(String.format("%02d/%02d/%02d", t.getMonthValue(), t.getDayOfMonth(), t.getYear() % 100));
                case 'F' -> sb.append(String.format("%d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth()));
                case 's' -> sb.append(t.toEpochSecond(java.time.ZoneOffset.UTC));
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'Z', 'z' -> {
                }
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    private static void two(StringBuilder sb, long v) {
        if (v < 10) sb.append('0');
        sb.append(v);
    }
}
