package io.jlama.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jlama.gguf.GgufFile;
import io.jlama.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jlama tokenize}: text to token ids. Needs only the vocabulary, so vocabulary-only GGUF files work. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Tokenize text with a model's vocabulary.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model or vocabulary file")
    Path model;

    @Option(names = "--text", paramLabel = "TEXT", description = "the text to tokenize (BOS added when the vocabulary asks for it, unless --no-bos)")
    String text;

    @Option(names = "--jsonl", description = "read one JSON string per stdin line, write one JSON array of ids per line (no BOS unless --bos)")
    boolean jsonl;

    @Option(names = "--bos", description = "with --jsonl: add BOS/EOS as the vocabulary asks")
    boolean bos;

    @Option(names = "--no-bos", description = "with --text: do not add BOS/EOS")
    boolean noBos;

    @Option(names = "--parse-special", description = "match special tokens written in the text, like <|im_start|>")
    boolean parseSpecial;

    @Option(names = "--json", description = "with --text: print {\"tokens\": [...], \"pieces\": [...]}")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if ((text == null) == !jsonl) throw new IllegalArgumentException("give either --text TEXT or --jsonl");
        PrintStream out = Console.out();
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer tok = Tokenizer.fromGguf(f);
            if (jsonl) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                int lineNo = 0;
                while ((line = in.readLine()) != null) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    String s = parseJsonString(line, lineNo);
                    int[] ids = tok.encode(s, bos, parseSpecial);
                    try (JsonGenerator g = Json.to(out, false)) {
                        g.writeStartArray();
                        for (int id : ids) g.writeNumber(id);
                        g.writeEndArray();
                    }
                    out.println();
                }
            } else {
                int[] ids = tok.encode(text, !noBos, parseSpecial);
                if (json) {
                    try (JsonGenerator g = Json.to(out, false)) {
                        g.writeStartObject();
                        Json.intArray(g, "tokens", ids);
                        g.writeArrayFieldStart("pieces");
                        for (int id : ids) g.writeString(piece(tok, id));
                        g.writeEndArray();
                        g.writeEndObject();
                    }
                    out.println();
                } else {
                    for (int id : ids) out.printf("%6d -> '%s'%n", id, piece(tok, id));
                }
            }
        }
        out.flush();
        return 0;
    }

    /** A token's text; bytes that are not complete UTF-8 on their own are shown as \\xNN. */
    static String piece(Tokenizer tok, int id) {
        byte[] b = tok.tokenBytes(id);
        var dec = StandardCharsets.UTF_8.newDecoder();
        try {
            return dec.decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) sb.append(String.format("\\x%02x", x & 0xFF));
            return sb.toString();
        }
    }

    static String parseJsonString(String line, int lineNo) throws java.io.IOException {
        try (JsonParser p = Json.FACTORY.createParser(line)) {
            if (p.nextToken() != JsonToken.VALUE_STRING) throw new IllegalArgumentException("stdin line " + lineNo + ": expected a JSON string");
            String s = p.getText();
            if (p.nextToken() != null) throw new IllegalArgumentException("stdin line " + lineNo + ": extra content after the JSON string");
            return s;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("stdin line " + lineNo + ": not a JSON string (" + e.getOriginalMessage() + ")");
        }
    }
}
