/**
 * Chat templates: a sandboxed renderer for the Jinja subset that Hugging Face chat templates use, with the results
 * transformers' {@code apply_chat_template} gives (Python jinja2 3.1 in an ImmutableSandboxedEnvironment with
 * {@code trim_blocks}, {@code lstrip_blocks}, loop controls and the {@code generation} tag).
 *
 * <p>Public API: {@link io.jlama.chat.ChatTemplate} (parse, render, fallback, GGUF lookup), {@link io.jlama.chat.Message},
 * {@link io.jlama.chat.TemplateLimits} and {@link io.jlama.chat.TemplateException}.
 *
 * <p>Inside, one class per stage: {@code Lexer} (text and tag tokens, whitespace control) → {@code Parser}
 * (syntax tree of {@code Node} records) → {@code Interpreter} (scopes, loops, macros, the render budget).
 * Values are the closed {@code Value} hierarchy (Python's types); their behaviour lives in {@code Operators}
 * (arithmetic, comparison, {@code in}), {@code Access} (attributes, items, slices: the sandbox boundary),
 * {@code Methods} (whitelisted str/list/dict methods), {@code Filters}, {@code Tests}, {@code Globals},
 * {@code Json} (tojson), {@code PyFormat}/{@code StrFormat} (str, repr, {@code %} and {@code str.format}),
 * {@code PyStrings} (code-point string operations) and {@code Strftime}.
 *
 * <p>Where this renderer knowingly differs from jinja2:
 * <ul>
 * <li>attribute names starting with an underscore raise SecurityError (jinja2's sandbox returns an undefined value
 * that prints as empty);</li>
 * <li>integers are 64-bit: arithmetic that would overflow stops the render (Python would grow the integer);</li>
 * <li>not provided: the filters {@code random}, {@code groupby}, {@code striptags}, {@code urlize},
 * {@code urlencode}, {@code wordwrap}, {@code xmlattr}, {@code filesizeformat}, the {@code lipsum} global, and the
 * tags {@code include}, {@code import}, {@code from}, {@code extends}, {@code block} (a chat template renders on
 * its own);</li>
 * <li>an unknown filter or test fails when it is reached, not when the template is parsed;</li>
 * <li>{@code pprint} sorts dict keys like Python's pprint but does not wrap long lines;</li>
 * <li>Markup ({@code |safe}) escaping applies to {@code +}, {@code %} and the escape filters; string methods on a
 * Markup keep it Markup but do not escape their arguments.</li>
 * </ul>
 */
package io.jlama.chat;
