package io.jlama.chat;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chat template comes from the model file, so it is untrusted: it must not reach Java objects, change the caller's
 * data, loop forever, recurse without end or build huge strings. Each case must fail cleanly (a one-line
 * TemplateException, no StackOverflowError or OutOfMemoryError) and fast.
 */
class ChatTemplateSandboxTest {
    private static final Map<String, Object> VARS = Map.of("messages", List.of(Map.of("role", "user", "content", "hi")));

    private static TemplateException fails(String template, TemplateException.Kind kind) {
        TemplateException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(TemplateException.class, () -> ChatTemplate.parse(template).render(VARS)));
        assertEquals(kind, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
        return e;
    }

    private static TemplateException fails(ChatTemplate template, TemplateException.Kind kind) {
        TemplateException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(TemplateException.class, () -> template.render(VARS)));
        assertEquals(kind, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
        return e;
    }

    @Test
    void javaMethodsAreNotReachable() {
        fails("{{ ''.getClass() }}", TemplateException.Kind.RUNTIME);
        fails("{{ messages.getClass().forName('java.lang.Runtime') }}", TemplateException.Kind.RUNTIME);
        fails("{{ messages.size() }}", TemplateException.Kind.RUNTIME);
        fails("{{ messages[0].role.getBytes('UTF-8') }}", TemplateException.Kind.RUNTIME);
        fails("{{ messages[0].role.toUpperCase() }}", TemplateException.Kind.RUNTIME);
        fails("{{ messages.__class__ }}", TemplateException.Kind.SECURITY);
        fails("{{ ''.__class__.__mro__ }}", TemplateException.Kind.SECURITY);
        fails("{{ range.__globals__ }}", TemplateException.Kind.SECURITY);
        fails("{{ raise_exception.__self__ }}", TemplateException.Kind.SECURITY);
        fails("{{ messages|attr('__class__') }}", TemplateException.Kind.SECURITY);
        fails("{{ '{0.__class__}'.format('') }}", TemplateException.Kind.SECURITY);
        fails("{% include '/etc/passwd' %}", TemplateException.Kind.SYNTAX);
        fails("{% import 'x' as y %}", TemplateException.Kind.SYNTAX);
        fails("{% extends 'base' %}", TemplateException.Kind.SYNTAX);
    }

    @Test
    void callerDataCannotBeChanged() {
        List<Object> messages = new ArrayList<>(List.of(new HashMap<>(Map.of("role", "user", "content", "hi"))));
        Map<String, Object> vars = Map.of("messages", messages);
        for (String t : List.of("{{ messages.append(1) }}", "{{ messages.clear() }}", "{{ messages.pop() }}", "{{ messages[0].update({'role': 'system'}) }}",
                "{{ messages[0].clear() }}", "{{ messages[0].setdefault('x', 1) }}", "{{ messages.sort() }}")) {
            TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.parse(t).render(vars), t);
            assertEquals(TemplateException.Kind.SECURITY, e.kind(), t);
        }
        assertEquals(List.of(Map.of("role", "user", "content", "hi")), messages);
        // only namespaces are writable, and they are the template's own
        assertEquals("2", ChatTemplate.parse("{% set ns = namespace(n=1) %}{% set ns.n = 2 %}{{ ns.n }}").render(vars));
        fails("{% set messages.x = 1 %}", TemplateException.Kind.RUNTIME);
    }

    @Test
    void onlyJsonLikeValuesGoIn() {
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("{{ f }}").render(Map.of("f", new File("/"))));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("{{ t }}").render(Map.of("t", Thread.currentThread())));
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("{{ c }}").render(Map.of("c", cyclic)));
    }

    @Test
    void endlessLoopsStop() {
        TemplateException e = fails("{% for i in range(10**9) %}x{% endfor %}", TemplateException.Kind.LIMIT);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertEquals("[]", ChatTemplate.parse("{{ [] * 10**12 }}").render(VARS)));
        assertTrue(e.getMessage().contains("Range too big"), e.getMessage());
        fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", TemplateException.Kind.LIMIT);
        // the time bound, independently of the step bound
        ChatTemplate slow = ChatTemplate.parse("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
                .withLimits(TemplateLimits.DEFAULT.withMaxSteps(Long.MAX_VALUE).withMaxTime(Duration.ofMillis(200)));
        long t0 = System.nanoTime();
        TemplateException timeout = fails(slow, TemplateException.Kind.LIMIT);
        assertTrue(timeout.getMessage().contains("longer than"), timeout.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "stopped soon after the 200 ms budget");
    }

    @Test
    void runawayRecursionStops() {
        TemplateException e = fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", TemplateException.Kind.LIMIT);
        assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
        fails("{% macro f(n) %}{{ f(n + 1) ~ f(n + 1) }}{% endmacro %}{{ f(0) }}", TemplateException.Kind.LIMIT);
        fails("{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}", TemplateException.Kind.LIMIT);
        // deep syntax fails at parse time, without a StackOverflowError
        String deep = "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}";
        TemplateException p = assertThrows(TemplateException.class, () -> ChatTemplate.parse(deep));
        assertFalse(p.getMessage().contains("\n"));
        String deepIf = "{% if true %}".repeat(10_000) + "{% endif %}".repeat(10_000);
        assertThrows(TemplateException.class, () -> ChatTemplate.parse(deepIf));
    }

    @Test
    void depthLimitComesBeforeTheJavaStackRunsOut() throws InterruptedException {
        // a 1 MiB thread stack, the JVM's default on Linux x64: the macro depth limit must be what stops the render.
        // (With 512 KiB it held only once the interpreter had handed the evaluator to the JIT: interpreted frames are
        // larger, so on a busy machine the Java stack could run out first.)
        TemplateException[] caught = new TemplateException[1];
        Thread t = new Thread(null, () -> {
            try {
                ChatTemplate.parse("{% macro f(n) %}{% if n is number %}{% for i in [n] %}{{ f(i + 1)|trim }}{% endfor %}{% endif %}{% endmacro %}{{ f(0) }}").render(VARS);
            } catch (TemplateException e) {
                caught[0] = e;
            }
        }, "default-stack", 1024 * 1024);
        t.start();
        t.join();
        assertTrue(caught[0] != null && caught[0].getMessage().contains("nested deeper"), String.valueOf(caught[0]));
    }

    @Test
    void hugeStringsAndListsStop() {
        fails("{{ 'x' * 1000000000 }}", TemplateException.Kind.LIMIT);
        fails("{{ 'x' * 10**18 }}", TemplateException.Kind.LIMIT);
        fails("{{ [1] * 1000000000 }}", TemplateException.Kind.LIMIT);
        fails("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", TemplateException.Kind.LIMIT);
        fails("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", TemplateException.Kind.LIMIT);
        fails("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", TemplateException.Kind.LIMIT);
        fails("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", TemplateException.Kind.LIMIT);
        fails("{{ 'x'.ljust(10**12) }}", TemplateException.Kind.LIMIT);
        fails("{{ 'x'|indent(10**12) }}", TemplateException.Kind.LIMIT);
        fails("{{ 'ab'.replace('', 'x' * 9000000) }}", TemplateException.Kind.LIMIT);
        fails("{{ 10**30 }}", TemplateException.Kind.LIMIT);
        // containers whose printed form would be huge, and operations that would allocate millions of values
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ l }}", TemplateException.Kind.LIMIT);
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ l|string|length }}", TemplateException.Kind.LIMIT);
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ l|tojson|length }}", TemplateException.Kind.LIMIT);
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ l|join|length }}", TemplateException.Kind.LIMIT);
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ '%s' % (l,) }}", TemplateException.Kind.LIMIT);
        fails("{% set s = 'x' * 9000000 %}{% set l = [s] * 1000000 %}{{ '{}'.format(l) }}", TemplateException.Kind.LIMIT);
        fails("{{ ('a ' * 4000000).split()|length }}", TemplateException.Kind.LIMIT);
        fails("{{ ('a\n' * 4000000).splitlines()|length }}", TemplateException.Kind.LIMIT);
        fails("{% for c in 'x' * 5000000 %}{% endfor %}", TemplateException.Kind.LIMIT);
        fails("{{ [1]|batch(10**9, 0)|list }}", TemplateException.Kind.LIMIT);
        fails("{{ [1]|slice(10**9)|list }}", TemplateException.Kind.LIMIT);
        fails("{{ '{:1000000000}'.format(1) }}", TemplateException.Kind.LIMIT);
        fails("{{ '%1000000000d' % 1 }}", TemplateException.Kind.LIMIT);
        fails("{{ '%.100000f' % 1.5 }}", TemplateException.Kind.LIMIT);
        fails("{{ '%c' % 10**9 }}", TemplateException.Kind.RUNTIME);
        TemplateException brief = fails("{{ [1].index(['x' * 9000000]) }}", TemplateException.Kind.RUNTIME);
        assertTrue(brief.getMessage().length() < 400, "error messages quote values briefly");
        // a smaller configured output limit applies to the whole render
        ChatTemplate small = ChatTemplate.parse("{% for m in range(100) %}0123456789{% endfor %}")
                .withLimits(TemplateLimits.DEFAULT.withMaxOutputChars(500));
        fails(small, TemplateException.Kind.LIMIT);
    }
}
