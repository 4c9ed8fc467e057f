package io.jlama.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jlama.chat.ChatTemplate;
import io.jlama.gguf.GgufFile;
import io.jlama.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jlama template}: prints exactly what a model receives for a conversation, byte for byte. */
@Command(name = "template", mixinStandardHelpOptions = true,
        description = "Render a chat template for a conversation and print the result exactly as the model receives it.")
final class TemplateCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model (its tokenizer.chat_template)")
        Path model;

        @Option(names = "--template-file", paramLabel = "FILE", description = "a Jinja template file")
        Path templateFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--messages-file", required = true, paramLabel = "FILE", description = "JSON array of {\"role\", \"content\"} messages (OpenAI chat format)")
    Path messagesFile;

    @Option(names = "--tools-file", paramLabel = "FILE", description = "JSON array of tool definitions")
    Path toolsFile;

    @Option(names = "--add-generation-prompt", description = "end with the assistant's turn header")
    boolean addGenerationPrompt;

    @Option(names = "--var", paramLabel = "NAME=VALUE", description = "set a template variable, e.g. --var bos_token=<s> (repeatable)")
    List<String> vars = new ArrayList<>();

    @Option(names = "--now", paramLabel = "TIME", description = "the time strftime_now sees, e.g. 2024-07-26T00:00:00")
    String now;

    @Override
    public Integer call() throws Exception {
        ChatTemplate t;
        if (source.model != null) {
            try (GgufFile f = GgufFile.open(source.model)) {
                t = ChatTemplate.forModel(f, Tokenizer.fromGguf(f).vocabulary());
            }
        } else {
            t = ChatTemplate.parse(readText(source.templateFile));
        }
        if (now != null) {
            try {
                t = t.withFixedTime(LocalDateTime.parse(now));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("--now: '" + now + "' is not a date-time like 2024-07-26T00:00:00");
            }
        }
        Object messages = readJson(messagesFile, "--messages-file");
        if (!(messages instanceof List)) throw new IllegalArgumentException("--messages-file " + messagesFile + ": expected a JSON array of messages");
        Object tools = toolsFile == null ? null : readJson(toolsFile, "--tools-file");
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", messages);
        variables.put("tools", tools);
        variables.put("documents", null);
        variables.put("add_generation_prompt", addGenerationPrompt);
        for (String v : vars) {
            int eq = v.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--var '" + v + "': expected NAME=VALUE");
            variables.put(v.substring(0, eq), v.substring(eq + 1));
        }
        String rendered = t.render(variables);
        PrintStream out = Console.out();
        out.print(rendered); // exactly the text, no newline added
        out.flush();
        return 0;
    }

    private static String readText(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    /** JSON as plain Java values: Map, List, String, Long/Double, Boolean, null. */
    static Object readJson(Path p, String option) throws IOException {
        String text = readText(p);
        try (JsonParser parser = Json.FACTORY.createParser(text)) {
            JsonToken tok = parser.nextToken();
            if (tok == null) throw new IllegalArgumentException(option + " " + p + ": empty file");
            Object v = value(parser, tok);
            if (parser.nextToken() != null) throw new IllegalArgumentException(option + " " + p + ": extra content after the JSON value");
            return v;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(option + " " + p + ": invalid JSON at line " + e.getLocation().getLineNr() + " (" + e.getOriginalMessage() + ")");
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) l.add(value(p, e));
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalArgumentException("unexpected JSON token " + t);
        }
    }
}
