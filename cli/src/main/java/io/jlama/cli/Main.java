package io.jlama.cli;

import io.jlama.gguf.ModelFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The jlama command line. Started through {@link io.jlama.cli.launcher.Launcher}, which sets up the JVM. */
@Command(name = "jlama", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Pure-Java inference for GGUF language models.",
        subcommands = {GenerateCommand.class, ChatCommand.class, TemplateCommand.class, InfoCommand.class, TokenizeCommand.class, EvalCommand.class, BenchCommand.class, QuantizeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = run(args);
        Console.out().flush();
        System.exit(code);
    }

    /** Runs a command line and returns the exit code (0 ok, 1 error, 2 usage). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Console.out().flush();
            Throwable t = e;
            if (t instanceof UncheckedIOException u && u.getCause() != null) t = u.getCause();
            if (t instanceof ModelFormatException || t instanceof io.jlama.chat.TemplateException || t instanceof IllegalArgumentException || t instanceof IllegalStateException
                    || t instanceof IOException || t instanceof UnsupportedOperationException) {
                System.err.println("jlama: error: " + t.getMessage());
                return 1;
            }
            if (t instanceof OutOfMemoryError) {
                System.err.println("jlama: error: out of memory (" + t.getMessage() + "); give the JVM more with -Xmx or use a smaller --ctx-size");
                return 1;
            }
            if (System.getenv("JLAMA_DEBUG") != null) t.printStackTrace();
            System.err.println("jlama: internal error: " + t + " (set JLAMA_DEBUG=1 for the stack trace)");
            return 70;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: generate, chat, template, info, tokenize, eval, bench or quantize");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jlama " + (v != null ? v : "0.1.0-SNAPSHOT"),
                    "Java " + Runtime.version() + ", kernels: " + io.jlama.tensor.VectorSupport.describe()};
        }
    }
}
