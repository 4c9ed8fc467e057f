package io.jlama.chat;

import io.jlama.gguf.GgufFile;
import io.jlama.tokenizer.Vocabulary;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed Hugging Face chat template (Jinja), rendered the way transformers' {@code apply_chat_template} renders it:
 * jinja2 semantics with {@code trim_blocks} and {@code lstrip_blocks}, the {@code raise_exception} and
 * {@code strftime_now} globals, transformers' {@code tojson}, and an immutable sandbox.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.forModel(gguf, vocabulary);        // or ChatTemplate.parse(source)
 * String prompt = t.render(List.of(Message.system("Be brief."), Message.user("Hi!")), true);
 * }</pre>
 *
 * <p><b>Sandbox.</b> A template is untrusted input (it ships inside the model file). It sees only copies of plain
 * values (strings, numbers, booleans, None, lists, dicts), never Java objects, files or the network; the only
 * functions it can call are the whitelisted Python methods, jinja2 filters/tests and the globals listed in
 * {@link #render(Map)}. Every render is bounded by {@link TemplateLimits} (output size, steps, time, nesting).
 * Any failure, including the template's own {@code raise_exception}, surfaces as a {@link TemplateException} with a
 * one-line message naming the template line.
 *
 * <p>Instances are immutable and thread-safe; the {@code with...} methods return modified copies.
 */
public final class ChatTemplate {
    /**
     * The template used when a model ships none: each message as {@code <|role|>}, a newline, the content and a
     * newline; with {@code add_generation_prompt}, a final {@code <|assistant|>} line. For example
     * <pre>
     * &lt;|system|&gt;
     * You are a helpful assistant.
     * &lt;|user|&gt;
     * Hello!
     * &lt;|assistant|&gt;
     * </pre>
     * Content given as a list of parts contributes its {@code text} parts; tools are not rendered. No BOS token is
     * written: the tokenizer adds it as the model's vocabulary says.
     */
    public static final String FALLBACK_SOURCE = """
            {%- for message in messages -%}
            {{ '<|' ~ message.role ~ '|>\\n' }}
            {%- if message.content is string -%}
            {{ message.content }}
            {%- elif message.content is iterable -%}
            {%- for part in message.content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
            {%- endif -%}
            {{ '\\n' }}
            {%- endfor -%}
            {%- if add_generation_prompt -%}
            {{ '<|assistant|>\\n' }}
            {%- endif -%}
            """;

    private static final ChatTemplate FALLBACK = parse(FALLBACK_SOURCE);

    private final String source;
    private final List<Node.Stmt> body;
    private final TemplateLimits limits;
    private final Clock clock;
    private final Map<String, Value> defaults;

    private ChatTemplate(String source, List<Node.Stmt> body, TemplateLimits limits, Clock clock, Map<String, Value> defaults) {
        this.source = source;
        this.body = body;
        this.limits = limits;
        this.clock = clock;
        this.defaults = defaults;
    }

    /** Parses a template with the {@link TemplateLimits#DEFAULT default limits}. */
    public static ChatTemplate parse(String source) {
        return parse(source, TemplateLimits.DEFAULT);
    }

    /** Parses a template; fails with a {@link TemplateException} of kind SYNTAX naming the line. */
    public static ChatTemplate parse(String source, TemplateLimits limits) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(limits, "limits");
        try {
            return new ChatTemplate(source, Parser.parse(source, limits.maxDepth()), limits, Clock.systemDefaultZone(), Map.of());
        } catch (EvalError e) {
            throw e.toException();
        } catch (StackOverflowError e) {
            throw new TemplateException(TemplateException.Kind.LIMIT, 0, "template nesting too deep to parse");
        }
    }

    /** The documented plain format ({@link #FALLBACK_SOURCE}) for models without a chat template. */
    public static ChatTemplate fallback() {
        return FALLBACK;
    }

    /**
     * The template of a GGUF model: its {@code tokenizer.chat_template} metadata, or {@link #fallback()} when it has
     * none, with {@code bos_token} and {@code eos_token} preset to the texts of the vocabulary's BOS/EOS tokens (as
     * transformers passes them from the tokenizer config).
     */
    public static ChatTemplate forModel(GgufFile gguf, Vocabulary vocab) {
        String src = gguf.getString("tokenizer.chat_template", null);
        ChatTemplate t = src == null ? fallback() : parse(src);
        if (vocab.bos() >= 0) t = t.withVariable("bos_token", vocab.text(vocab.bos()));
        if (vocab.eos() >= 0) t = t.withVariable("eos_token", vocab.text(vocab.eos()));
        return t;
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    /** True for {@link #fallback()} (also when reached through {@link #forModel}). */
    public boolean isFallback() {
        return body == FALLBACK.body;
    }

    public TemplateLimits limits() {
        return limits;
    }

    public ChatTemplate withLimits(TemplateLimits limits) {
        return new ChatTemplate(source, body, Objects.requireNonNull(limits), clock, defaults);
    }

    /** The clock {@code strftime_now} reads (its local date-time in the clock's zone); the system clock by default. */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, body, limits, Objects.requireNonNull(clock), defaults);
    }

    /** Fixes the time {@code strftime_now} sees, for reproducible renders ({@code jlama template --now}). */
    public ChatTemplate withFixedTime(LocalDateTime now) {
        return withClock(Clock.fixed(now.toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
    }

    /**
     * A variable every render gets unless the render's own variables set it, typically {@code bos_token} and
     * {@code eos_token}. The value must be JSON-like (see {@link #render(Map)}).
     */
    public ChatTemplate withVariable(String name, Object value) {
        Map<String, Value> d = new LinkedHashMap<>(defaults);
        d.put(Objects.requireNonNull(name), JavaValues.of(value));
        return new ChatTemplate(source, body, limits, clock, Collections.unmodifiableMap(d));
    }

    /**
     * Renders with exactly these variables (plus the {@link #withVariable defaults}). Values must be JSON-like:
     * Map, List (or any Iterable/array), String, Number, Boolean, null, or {@link Message}; they are copied.
     * Besides the variables, a template can use the globals {@code raise_exception(msg)}, {@code strftime_now(fmt)},
     * {@code namespace(...)}, {@code range(...)}, {@code dict(...)}, {@code cycler(...)} and {@code joiner(sep)}.
     *
     * @throws TemplateException        when the template fails or raises
     * @throws IllegalArgumentException when a variable is not JSON-like
     */
    public String render(Map<String, ?> variables) {
        Map<String, Value> vars = new LinkedHashMap<>(defaults);
        variables.forEach((k, v) -> vars.put(k, JavaValues.of(v)));
        Interpreter in = new Interpreter(limits, clock);
        try {
            return in.render(body, vars);
        } catch (EvalError e) {
            throw e.toException();
        } catch (StackOverflowError e) {
            throw new TemplateException(TemplateException.Kind.LIMIT, 0, "template recursion too deep for the Java stack");
        } catch (RuntimeException e) {
            // a renderer bug must still reach the caller as a one-line template error, not a stack trace
            throw new TemplateException(TemplateException.Kind.RUNTIME, 0, "internal error: " + e, e);
        }
    }

    /** Renders a conversation without tools: see {@link #render(List, List, boolean, Map)}. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, null, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation as transformers' {@code apply_chat_template(messages, tools=tools,
     * add_generation_prompt=...)} does: the variables are {@code messages}, {@code tools} (None when null),
     * {@code documents} (None), {@code add_generation_prompt}, the defaults, then {@code extra} (which wins).
     *
     * @param tools tool definitions as JSON-like maps ({@code {"type": "function", "function": {...}}}), or null
     */
    public String render(List<Message> messages, List<?> tools, boolean addGenerationPrompt, Map<String, ?> extra) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("tools", tools);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putAll(extra);
        return render(vars);
    }
}
