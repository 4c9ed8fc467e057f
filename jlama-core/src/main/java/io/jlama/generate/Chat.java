package io.jlama.generate;

import io.jlama.chat.ChatTemplate;
import io.jlama.chat.Message;
import io.jlama.tokenizer.Vocabulary;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation on a {@link Session}: messages rendered with the model's chat template, and only the tokens that
 * the KV cache does not already hold are fed, so a long chat does not re-process its history each turn.
 *
 * <pre>{@code
 * try (Session s = model.newSession()) {
 *     Chat chat = new Chat(s, model.chatTemplate()).system("Answer briefly.");
 *     GenerationResult r = chat.send("What is the capital of France?", GenerateOptions.sampled(256), ev -> print(ev.text()));
 * }
 * }</pre>
 */
public final class Chat {
    private final Session session;
    private final ChatTemplate template;
    private final List<Message> messages = new ArrayList<>();
    /** The tokens in the session's KV cache, in order. */
    private final List<Integer> cached = new ArrayList<>();

    public Chat(Session session, ChatTemplate template) {
        this.session = session;
        this.template = template;
        session.reset();
    }

    /** Sets (or replaces) the system message; call before the first {@link #send}. */
    public Chat system(String text) {
        if (!messages.isEmpty() && messages.get(0).role().equals("system")) messages.remove(0);
        if (text != null && !text.isEmpty()) messages.add(0, Message.system(text));
        return this;
    }

    /** The conversation so far. */
    public List<Message> messages() {
        return List.copyOf(messages);
    }

    /** Forgets every message except the system message, and empties the KV cache. */
    public void reset() {
        messages.removeIf(m -> !m.role().equals("system"));
        cached.clear();
        session.reset();
    }

    /**
     * The exact text the model receives for the conversation so far plus {@code userText}, ending with the
     * template's generation prompt.
     */
    public String render(String userText) {
        List<Message> next = new ArrayList<>(messages);
        next.add(Message.user(userText));
        return template.render(next, true);
    }

    /** Adds a user message, generates the assistant's reply (streamed to the listener) and adds it to the history. */
    public GenerationResult send(String userText, GenerateOptions options, TokenListener listener) {
        List<Message> next = new ArrayList<>(messages);
        next.add(Message.user(userText));
        int[] ids = tokenize(template.render(next, true));
        int common = 0;
        while (common < cached.size() && common < ids.length && cached.get(common) == ids[common]) common++;
        if (common == ids.length) common--; // always feed at least one token to get fresh logits
        session.rewind(common);
        while (cached.size() > common) cached.remove(cached.size() - 1);
        int[] suffix = java.util.Arrays.copyOfRange(ids, common, ids.length);
        GenerationResult r = session.generate(suffix, options, listener);
        for (int id : suffix) cached.add(id);
        int[] gen = r.tokens();
        for (int i = 0; i < gen.length - 1; i++) cached.add(gen[i]); // the last generated token was never fed
        if (session.position() != cached.size()) { // defensive: keep our view and the cache in step
            cached.clear();
            session.reset();
        }
        messages.add(Message.user(userText));
        messages.add(Message.assistant(r.text()));
        return r;
    }

    /**
     * Tokenizes a rendered prompt: special tokens written by the template are parsed, and BOS is added only when
     * the vocabulary wants it and the template did not already write it.
     */
    int[] tokenize(String prompt) {
        Vocabulary v = session.model().tokenizer().vocabulary();
        boolean templateWroteBos = v.bos() >= 0 && prompt.startsWith(v.text(v.bos()));
        return session.model().tokenizer().encode(prompt, v.addBos() && !templateWroteBos, true);
    }
}
