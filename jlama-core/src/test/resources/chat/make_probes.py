"""Regenerates probes.json: small templates rendered by Python jinja2 configured as transformers configures it.

Run with jinja2 3.1.x installed:  python3 make_probes.py > probes.json
Each probe: {"template", "vars", "expected"} or {"template", "vars", "error"} (the jinja2 exception type).
"""
import json
from datetime import datetime

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class Generation(Extension):
    """transformers' {% generation %} tag when no assistant mask is requested: the body renders as is."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: datetime(2024, 7, 26).strftime(fmt)

MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi 😊"},
        {"role": "assistant", "content": "Hello!", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": [True, None, 1.5]}}}]}]
V = {"messages": MSGS, "tools": None, "s": "  Hello, World!  ", "n": 7, "f": 2.5, "xs": [3, 1, 2], "d": {"b": 1, "a": 2, "items": 5},
     "u": "héllo wörld", "e": "😊ab", "empty": [], "t": True}

PROBES = [
    # whitespace control
    "a\n  {% if true %}\n    x\n  {% endif %}\nb",
    "a  {%- if true -%}  x  {%- endif -%}  b",
    "{{- '  x  ' -}}",
    "a\n{{- 'x' }}\n  {{ 'y' -}}\n z",
    "a {# c #}\nb",
    "a\n  {#- c -#}\n  b",
    "  {#+ c #}\nb",
    "  {% if true %}\nx\n  {%+ endif %}\ny",
    "{% if true %}  {% endif %}|",
    "a  {%- if true +%}\nb{% endif %}",
    "{% raw %}{{ x }}{% endraw %}",
    "line1\n\n",
    "x\r\ny\rz",
    "{% for i in xs %}\n  {{ i }}\n{% endfor %}",
    "{% for i in xs -%}\n  {{ i }}\n{%- endfor %}",
    "\t{% if true %}tab{% endif %}",
    "{{ {'a': {'b': 1}} }}",
    # literals, printing
    "{{ 'a' 'b' }}{{ 0x1F }}{{ 1_000 }}{{ 1.5e3 }}{{ 1e20 }}{{ 1e-5 }}{{ 0.1 + 0.2 }}{{ 1/3 }}{{ -0.0 }}",
    "{{ True }}{{ false }}{{ none }}{{ None }}{{ [1, 'a', none, true, 1.5, (1,), {'a': []}] }}",
    "{{ 'it''s' }}|{{ \"it's\" }}|{{ ['it\\'s', 'a\"b', 'both\\'\"', 'tab\\t', 'nl\\n', 'bs\\\\'] }}",
    "{{ ['\\u00a0', '\\u200b', '\\x7f', '\\u3000', 'é', '😊'] }}",
    "{{ (1, 2) }}{{ () }}{{ (1,) }}{{ {} }}{{ {1: 'a', 'b': 2.0} }}",
    "{{ '\\u4e2d\\x41\\n\\d\\'' }}",
    "{{ range(3) }}{{ range(1, 10, 2)|list }}{{ range(5, 0, -2)|list }}",
    # operators and precedence
    "{{ 1 + 2 * 3 }}{{ (1 + 2) * 3 }}{{ 2 ** 3 ** 2 }}{{ -2 ** 2 }}{{ 7 // 2 }}{{ -7 // 2 }}{{ -7 % 3 }}{{ 7 % -3 }}{{ 7 / 2 }}{{ 4 / 2 }}",
    "{{ 7.5 // 2 }}{{ -7.5 % 2 }}{{ 2 ** -1 }}{{ 2.0 ** 2 }}{{ true + 1 }}{{ 3 - true }}",
    "{{ 'ab' * 3 }}{{ 3 * 'ab' }}{{ [1] * 2 }}{{ 'x' * 0 }}{{ 'x' * -1 }}{{ [1, 2] + [3] }}{{ 'a' ~ 1 ~ none ~ true }}",
    "{{ not xs|length == 1 }}{{ not xs|length == 3 }}{{ -n|abs }}{{ not true and false }}{{ not (true and false) }}",
    "{{ 1 < 2 < 3 }}{{ 1 < 3 < 2 }}{{ 1 == 1.0 }}{{ true == 1 }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}{{ (1, 2) == (1, 2) }}{{ [1] == (1,) }}",
    "{{ 'b' in 'abc' }}{{ 2 in xs }}{{ 'a' in d }}{{ 'z' not in d }}{{ 3 in range(5) }}{{ 'x' in empty }}",
    "{{ 0 or 'x' }}|{{ 1 and 'y' }}|{{ none or [] }}|{{ '' and 1 }}|{{ xs and xs[0] }}",
    "{{ 'a' if t else 'b' }}{{ 'a' if not t else 'b' }}|{{ 'c' if false }}|{{ 1 if false else 2 if false else 3 }}",
    "{{ 1 == 1 == 1 }}{{ 1 != 2 != 1 }}{{ n > 5 and n < 10 }}",
    "{{ 10 - 2 - 3 }}{{ 100 / 10 / 5 }}{{ 2 * 3 % 4 }}{{ 1 + 2 ~ 3 + 4 }}",
    # attribute / item access
    "{{ d.a }}{{ d['b'] }}{{ d.items is callable }}{{ d['items'] is callable }}{{ d.get('a') }}{{ d.get('zz', 'dflt') }}{{ d.zz }}|",
    "{{ messages[0].role }}{{ messages[-1]['content'] }}{{ messages[9] }}|{{ messages.0.role }}",
    "{{ xs[::-1] }}{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::2] }}{{ xs[5:] }}{{ xs[-100:100] }}{{ xs[2:0:-1] }}",
    "{{ s[2:7] }}{{ s[::-1] }}{{ e[0] }}{{ e[1:] }}{{ e|length }}{{ e[::-1] }}{{ u[1] }}",
    "{% set ns = namespace(i=0) %}{{ xs[ns.i + 1:] }}{{ xs[n - 6:n - 4] }}",
    "{{ none.foo }}|{{ d.zz.yy is defined }}",
    "{{ messages[0].content.startswith('Be') }}{{ messages[0]['content'].endswith(('x', 'f.')) }}",
    # string methods
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ s.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ u.upper() }}|{{ u.title() }}|{{ \"they're bill's\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'Hello'.swapcase() }}|{{ 'ß'.upper() }}",
    "{{ s.replace('l', 'L') }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'ab'.replace('', '-') }}|{{ s.find('o') }}|{{ s.rfind('o') }}|{{ s.find('zz') }}|{{ e.find('a') }}|{{ s.count('l') }}",
    "{{ '{} and {}'.format(1, 'x') }}|{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{name}!'.format(name='N') }}|{{ '{:>5}|{:<5}|{:^5}'.format('a', 'b', 'c') }}|{{ '{:.2f}'.format(3.14159) }}|{{ '{:05d}'.format(42) }}|{{ '{!r}'.format('q') }}|{{ '{:,}'.format(1234567) }}",
    "{{ '-'.join(['a', 'b']) }}|{{ 'abc'.center(9, '*') }}|{{ 'ab'.ljust(4) }}|{{ 'ab'.rjust(4) }}|{{ '42'.zfill(5) }}|{{ '-42'.zfill(5) }}",
    "{{ 'abc'.isalpha() }}{{ '123'.isdigit() }}{{ 'a1'.isalnum() }}{{ '  '.isspace() }}{{ 'abc'.islower() }}{{ 'ABC'.isupper() }}{{ ''.isalpha() }}",
    "{{ 'a=b=c'.partition('=') }}{{ 'a=b=c'.rpartition('=') }}{{ 'abc'.partition('x') }}{{ 'a\\nb\\r\\nc'.splitlines() }}",
    "{{ '%s is %d years' % ('Bob', 30) }}|{{ '%.2f' % 3.14159 }}|{{ '%5s|%-5s|' % ('a', 'b') }}|{{ '%r' % 'x' }}|{{ '%(a)s' % {'a': 1} }}|{{ '%x' % 255 }}|{{ '%%' % () }}",
    "{{ 'hello'.removeprefix('he') }}{{ 'hello'.removesuffix('lo') }}{{ 'Hello'.casefold() }}",
    # filters
    "{{ xs|sort }}{{ xs|sort(reverse=true) }}{{ ['b', 'A', 'c']|sort }}{{ ['b', 'A', 'c']|sort(case_sensitive=true) }}{{ messages|sort(attribute='role')|map(attribute='role')|list }}",
    "{{ d|dictsort }}{{ d|dictsort(by='value') }}{{ d|dictsort(reverse=true) }}{{ {'b': 1, 'A': 2}|dictsort }}{{ {2: 'a', 1: 'b'}|dictsort }}",
    "{{ d|items|list }}{{ d.items()|list }}{{ d.keys()|list }}{{ d.values()|list }}{{ d|list }}{{ d|length }}",
    "{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{{ s|trim }}|{{ 'xxaxx'|trim('x') }}|{{ s|length }}|{{ s|count }}|{{ s|upper }}|{{ s|lower }}|{{ s|capitalize }}|{{ 'hello world-foo(bar'|title }}",
    "{{ xs|first }}{{ xs|last }}{{ 'abc'|first }}{{ 'abc'|last }}{{ d|first }}{{ []|first }}|{{ xs|min }}{{ xs|max }}{{ ['b', 'A', 'c']|max }}{{ ['b', 'A', 'c']|min }}{{ xs|sum }}{{ []|max }}|",
    "{{ xs|join(', ') }}|{{ xs|join }}|{{ messages|join('/', attribute='role') }}|{{ 'abc'|join('.') }}|{{ [1, none, true]|join(',') }}",
    "{{ messages|map(attribute='role')|join(',') }}|{{ xs|map('string')|list }}|{{ ['a', 'b']|map('upper')|list }}|{{ messages|map(attribute='name', default='anon')|list }}|{{ ['x']|map('replace', 'x', 'y')|list }}",
    "{{ messages|selectattr('role', 'equalto', 'user')|list|length }}|{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='role')|list }}|{{ messages|selectattr('tool_calls')|list|length }}|{{ messages|selectattr('tool_calls', 'defined')|list|length }}",
    "{{ xs|select('odd')|list }}{{ xs|reject('odd')|list }}{{ [0, 1, '', 'a', none]|select|list }}{{ xs|select('greaterthan', 1)|list }}{{ xs|select('>', 1)|list }}{{ none|selectattr('a')|list }}{{ none|select|list }}",
    "{{ none|default('x') }}|{{ undefined_var|default('x') }}|{{ ''|default('x') }}|{{ ''|default('x', true) }}|{{ undefined_var|d('y') }}|{{ 0|default('z', boolean=true) }}",
    "{{ '12'|int + 1 }}|{{ '1.9'|int }}|{{ 'zz'|int }}|{{ 'zz'|int(-1) }}|{{ '0x1A'|int(0, 16) }}|{{ 3.9|int }}|{{ true|int }}|{{ none|int }}|{{ ' 7 '|int }}|{{ '1_000'|int }}",
    "{{ '1.5'|float }}|{{ 'x'|float }}|{{ 3|float }}|{{ '1e3'|float }}|{{ 'inf'|float }}|{{ none|float }}",
    "{{ 2.5|round }}|{{ 3.5|round }}|{{ 3.14159|round(2) }}|{{ 2.675|round(2) }}|{{ 2.5|round(0, 'floor') }}|{{ 2.1|round(0, 'ceil') }}|{{ 5|round }}|{{ -3|abs }}|{{ -2.5|abs }}",
    "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb\\n'|indent(2, true, true) }}|{{ ''|indent }}|{{ 'x\\ny'|indent('> ') }}|{{ 'x\\ny'|indent(first=true) }}",
    "{{ [1, 2, 3]|batch(2)|list }}{{ [1, 2, 3]|batch(2, 0)|list }}{{ [1, 2, 3, 4, 5]|slice(2)|list }}{{ [1, 2, 3]|slice(2, 'x')|list }}",
    "{{ [1, 1, 2, 'a', 'A']|unique|list }}{{ ['a', 'A']|unique(case_sensitive=true)|list }}{{ xs|reverse|list }}{{ 'abc'|reverse }}{{ 'x y  z'|wordcount }}{{ 'abc'|center(7) }}|",
    "{{ '<a href=\"x\">'|escape }}|{{ '<b>'|e }}|{{ '<b>'|safe }}|{{ ('<b>'|safe) + '<i>' }}|{{ '<i>' + ('<b>'|safe) }}|{{ ('x'|safe) ~ '<' }}",
    "{{ 'x'|string }}{{ 1|string }}{{ none|string }}{{ xs|string }}{{ d|string }}{{ [true, none, 'a']|string }}{{ messages[2]|string }}",
    "{{ '%s-%s'|format('a', 'b') }}|{{ '%(x)s'|format(x=1) }}|{{ 'hello world'|truncate(5) }}|{{ 'hello world foo'|truncate(9, leeway=0) }}|{{ 'hello world'|truncate(9, true, leeway=0) }}",
    "{{ d|attr('a') }}|{{ d|attr('items') is callable }}|{{ d|pprint }}",
    # tojson
    "{{ messages|tojson }}",
    "{{ messages[2]|tojson(indent=2) }}",
    "{{ {'b': 1, 'a': [1, 2.5, none, true, 'é\"\\\\\\n']}|tojson }}|{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}|{{ [1, 2]|tojson(separators=(',', ':')) }}|{{ 'é😊'|tojson(ensure_ascii=true) }}",
    "{{ {}|tojson(indent=2) }}{{ []|tojson(indent=2) }}{{ [[]]|tojson(indent=1) }}{{ {1: 2, true: 3}|tojson }}{{ 1e100|tojson }}{{ 3.0|tojson }}",
    "{{ {'a': [1, {'b': {}}]}|tojson(indent=4) }}",
    "{{ 'x'|tojson(indent='\\t') }}{{ [1]|tojson(indent='--') }}",
    "{{ xs|map('string')|tojson }}",
    "{{ d.items()|tojson }}",
    "{{ undefined_var|tojson }}",
    # tests
    "{{ x is defined }}{{ none is defined }}{{ none is none }}{{ tools is none }}{{ tools is defined }}{{ 'a' is string }}{{ d is mapping }}{{ xs is mapping }}{{ xs is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ undefined_var is iterable }}",
    "{{ 1 is number }}{{ true is number }}{{ 1.5 is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.5 is float }}{{ true is boolean }}{{ 1 is boolean }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}",
    "{{ xs is sequence }}{{ 'a' is sequence }}{{ d is sequence }}{{ 1 is sequence }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ 2 is in xs }}{{ 'abc' is lower }}{{ 'ABC' is upper }}",
    "{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 1 is gt 2 }}{{ 1 is ge 1 }}{{ 1 is le 0 }}{{ none is sameas none }}{{ 'upper' is filter }}{{ 'odd' is test }}{{ range is callable }}{{ 'x' is callable }}",
    "{{ x is not defined }}{{ 1 is not string }}{{ not 1 is string }}",
    # loops
    "{% for i in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }}|{% endfor %}",
    "{% for i in xs %}[{{ loop.previtem }},{{ loop.nextitem }}]{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for i in xs if i > 1 %}{{ i }}:{{ loop.index }}/{{ loop.length }} {% endfor %}",
    "{% for i in [] %}x{% else %}empty{% endfor %}{% for i in xs if i > 10 %}x{% else %}none{% endfor %}",
    "{% for i in xs %}{% if i == 1 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in xs %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}",
    "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}{% for k in d %}{{ k }}{% endfor %}{% for c in 'ab' %}{{ c }}{% endfor %}",
    "{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }}{{ loop.index }} {% endfor %}{% endfor %}",
    "{% for i in xs %}{{ loop.changed(i > 1) }}{% endfor %}",
    "{% for m in [{'c': [{'c': []}, {'c': [{'c': []}]}]}] recursive %}<{{ loop.depth }}{{ loop(m.c) }}>{% endfor %}",
    "{{ loop }}|{% for i in [1] %}{{ loop.index }}{% endfor %}{{ loop }}|",
    "{% for i in none %}x{% endfor %}",
    "{% for i in undefined_var %}x{% else %}E{% endfor %}",
    "{% for a, b in [1] %}{% endfor %}",
    # scoping, set, namespace
    "{% set x = 0 %}{% for i in [1, 2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}",
    "{% set x = 0 %}{% if true %}{% set x = 5 %}{% endif %}{{ x }}",
    "{% set ns = namespace(a=1, b=[]) %}{% for i in [1, 2] %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}{{ ns.b }}{{ ns }}{{ ns.zz }}|",
    "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns['a'] }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, %}{{ t }}",
    "{% set x %}  block {{ 1 + 1 }} {% endset %}[{{ x }}]{% set y | trim | upper %}  yy  {% endset %}[{{ y }}]",
    "{% set x = 0 %}{% set y %}{% set x = 5 %}{{ x }}{% endset %}{{ x }}{{ y }}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|",
    "{% filter upper %}abc {{ 'x' }}{% endfilter %}{% filter indent(2, true) | trim %}  a\nb{% endfilter %}",
    "{% set x = 1 %}{% set x = x + 1 %}{{ x }}",
    "{% set d2 = {'k': 'v'} %}{% set d2 = dict(d2, z=1) %}{{ d2 }}{{ dict(a=1) }}{{ dict([('a', 1)]) }}",
    # macros
    "{% macro m(a, b='B', c=none) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 2) }}|{{ m(1, c=3) }}|{{ m() }}|",
    "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}",
    "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}",
    "{% macro m() %}{{ y }}{% endmacro %}{% for i in [1] %}{% set y = 3 %}{{ m() }}{% endfor %}|",
    "{% for i in [1] %}{% macro m() %}{{ i }}{{ y }}{% endmacro %}{% set y = 5 %}{{ m() }}{% endfor %}",
    "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
    "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}",
    "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ 1 }}{% endcall %}",
    "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}",
    "{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(3) }}",
    "{% macro m() %}x{% endmacro %}{{ m }}|{{ m is callable }}",
    "{% macro m(x) %}{{ x }}{% set x = 9 %}{{ x }}{% endmacro %}{% set x = 1 %}{{ m(5) }}{{ x }}",
    # globals
    "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A %H:%M:%S %p %j') }}",
    "{{ raise_exception('boom') }}",
    "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set j = joiner('|') %}{{ j() }}x{{ j() }}y",
    "{{ range(100001)|length }}",
    "{{ range(10)|length }}{{ range(10)[-1] }}{{ range(0) }}{{ range(3)|tojson }}",
    # generators and views
    "{{ xs|map('string') is iterable }}{{ xs|map('string') is sequence }}",
    "{% set g = xs|map('string') %}{{ g|list }}{{ g|list }}",
    "{{ (xs|map('string'))|length }}",
    "{{ d.items() }}{{ d.keys() }}{{ d.items()|length }}",
    "{{ xs|select('odd')|first }}|{{ xs|select('odd')|last }}",
    # more edges
    "{{ '}}' }}{{ '{#' }}{{ \"%}\" }}",
    "{% if true %}   \nx",
    "ab {% if true %}x{% endif %}",
    "\t {%- if true %}\n\tx{% endif %}",
    "  {# multi\nline #}\nx",
    "{{ -1 }}{{ - 1 }}{{ +1 }}{{ --1 }}{{ -(-1) }}",
    "{{ 'a' if 'b' in 'abc' else 'c' }}{{ 1 if none }}|{{ x.y if x is defined else 'd' }}",
    "{{ 9 is divisibleby 3 and true }}{{ [1, 2, 3][1:][0] }}{{ xs[none:2] }}",
    "{{ dict(a=1).a }}{{ {'a': 1}['a'] }}{{ 'a😊' < 'a\uffff' }}{{ range(3)|list|reverse|list }}",
    "{% for i in range(2) %}{% for j in range(2) %}{% if j %}{% break %}{% endif %}{{ i }}{{ j }}{% endfor %}{% endfor %}",
    "{% macro m() %}{{ caller is defined }}{% endmacro %}{{ m() }}",
    "{% for i in xs if i != 1 %}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %}",
    "{{ [true]|join }}{{ 'x'|replace('x', 5) }}{{ 'abc'|list }}{{ 3|string + 'x' }}{{ [3, 1]|sort|first }}{{ 5|trim }}{{ none|lower }}",
    "{{ {'a': 1}|tojson(indent=2) }}",
    "{% macro m() -%}\n  x\n{%- endmacro %}[{{ m() }}]",
    "{% if false %}a{% elif false %}b{% else %}\n  c\n{% endif %}",
    "{{ '%05.1f' % 3.14159 }}|{{ '{:+d}'.format(5) }}|{{ '{:e}'.format(12345.678) }}|{{ '{:g}'.format(0.00001234) }}|{{ '{:.3}'.format(3.14159) }}|{{ '{:%}'.format(0.25) }}|{{ '{}'.format(1.0) }}|{{ '{:10.3f}|'.format(-3.14159) }}",
    "{{ '%.3g' % 1234567 }}|{{ '%e' % 0.000123 }}|{{ '%g' % 100000.0 }}|{{ '%g' % 1000000.0 }}|{{ '%s' % none }}|{{ '%s' % [1] }}|{{ '%i' % 3.7 }}",
    "{{ 0.1|round(1) }}|{{ 1.005|round(2) }}|{{ -2.5|round }}|{{ (0.1 + 0.2)|string }}|{{ 1e16 }}|{{ 123456789.0 }}|{{ 1e-7 }}|{{ 1.1e-4 }}|{{ 1e15 }}|{{ 1.5e300 * 1e10 }}|{{ 2 ** 0.5 }}",
    "{% set x = 5 %}{% for x in [1] %}{{ x }}{% endfor %}{{ x }}|{% for i in [1, 2] %}{% endfor %}{{ i }}|",
    "{% for (a, b) in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}{% set a, b = [3, 4] %}{{ a }}{{ b }}",
    "{% set ns = namespace(v=0) %}{% macro m() %}{% set ns.v = 5 %}{% endmacro %}{{ m() }}{{ ns.v }}",
    "{{ messages[0] is mapping }}{{ messages[0].content is not string }}{{ not tools is none }}",
    "{{ 'a\\rb\\u2028'|tojson }}{{ '😊'|tojson }}",
    "a\u2028b\x85c\x0cd",
    "{{ 'a\r\nb' }}",
    "{{ 0.0 or 'f' }}{{ -0.0 or 'g' }}{{ [0] or 'h' }}{{ none == none }}",
    "{{ none < 1 }}",
    "{{ '%s %s' % [1, 2] }}",
    "{{ '{:>10}'.format(none) }}",
    "{{ messages|length - 1 }}{{ (messages|length - 1) // 2 }}{{ 'a\tb'|wordcount }}{{ '=' * 10 }}{{ messages[0].content[:5] ~ '...' }}",
    "{% for m in messages[1:] %}{{ m.role }}{% endfor %}{{ d|dictsort(false, 'value') }}",
    "{{ messages|selectattr('tool_calls', 'undefined')|map(attribute='role')|list }}{{ [{'a': none}, {'a': 1}]|rejectattr('a', 'none')|list }}",
    "{{ ('<a>'|safe).strip() }}{{ ('<a>'|safe)|trim }}{{ ['<'|safe, '>']|join }}{{ '<'|safe|tojson }}{{ ('a'|safe) * 2 }}",
    "{{ ('%s'|safe) % '<' }}",
    "{% set out = [] %}{% for m in messages %}{% set out = out + [m.role] %}{% endfor %}{{ out }}",
    "{% set ns = namespace(out=[]) %}{% for m in messages %}{% set ns.out = ns.out + [m.role] %}{% endfor %}{{ ns.out }}",
    "{{ messages[2].tool_calls[0].function.arguments|tojson }}{{ messages[2].tool_calls[0]['function']['arguments'].b[0] }}",
    "{% for tc in messages[2].tool_calls %}{% for k, v in tc.function.arguments|dictsort %}{{ k }}:{{ v|tojson }};{% endfor %}{% endfor %}",
    "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}{{ sys }}|{{ loop_messages|length }}",
    "{{ 'Hello'[::-2] }}{{ 'Hello'[-2:] }}{{ 'Hello'[10:] }}|{{ 'Hello'[1] }}{{ 'Hello'[-1] }}{{ 'Hello'[9] }}|",
    "{{ 1 in [1.0] }}{{ 'a' in ['a'] }}{{ (1, 2) in [(1, 2)] }}{{ none in [none] }}",
    "{{ '  a b  '.split(' ') }}{{ 'a  b'.split(none, 1) }}{{ ''.split() }}{{ ''.split(',') }}{{ ' a b '.rsplit(none, 1) }}",
    "{{ 'abc'.startswith('b', 1) }}{{ 'abc'.endswith('b', 0, 2) }}{{ 'abc'.find('c', -1) }}{{ 'aXbXc'.count('X', 2) }}",
    "{{ 'a'.join('xyz') }}{{ ','.join(d) }}",
    "{{ ','.join([1, 2]) }}",
    "{{ [1, 2, 3]|sum(start=10) }}{{ [{'n': 1}, {'n': 2}]|sum(attribute='n') }}{{ [{'n': 1}, {'n': 2}]|max(attribute='n') }}{{ [0.5, 1]|sum }}",
    "{{ 'Ab'|center(6) }}|{{ 'Abc'|center(6) }}|{{ 'Abc'.center(8) }}|{{ 'Ab'.center(7) }}",
    "{% set x %}{% for i in xs %}{{ i }}{% endfor %}{% endset %}{{ x|int + 1 }}",
    "{{ 'aaa'|replace('a', 'b', 2) }}{{ 'x.y.z'.split('.')[-1] }}{{ 'k=v'.split('=', 1)[1] }}",
    "{{ (xs|select('odd')|list)[0] }}{{ xs|map('abs')|sum }}",
    "{{ messages|map(attribute='tool_calls')|select('defined')|list|length }}",
    "{{ messages[2].tool_calls|map(attribute='function.name')|list }}{{ [[1, 2], [3, 4]]|map(attribute='1')|list }}",
    "{{ undefined_var|selectattr('a')|list }}{{ undefined_var|map('upper')|list }}{{ undefined_var|unique|list }}{{ undefined_var|reverse|list }}{{ undefined_var|sort }}{{ undefined_var|join(',') }}",
    # lexer edges
    "a\n  {%- raw %} {{ x }} {% endraw -%}  \nb",
    "a\n  {% raw -%}\n  {{ x }}\n  {%- endraw %}\nb",
    "{# a #} b #}",
    "x {# c #} y\n  {# d #}\nz",
    "a { b } {{ '{' }} { {",
    "{% if false %}a{%- else -%}\n  b\n{%- endif %}",
    "{% for i in xs %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}\n",
    "{%- for i in xs -%}\n\n  {{ i }}\n\n{%- endfor -%}\n",
    "  {{ 'x' }}\n  {% if true %}y{% endif %}",
    "{% if true %}\n{% endif %}\n",
    "{% if true %}x{% endif %}\n\n",
    "{{ 'a' }}\n{# c #}\n{{ 'b' }}",
    "{% set x = 1 %}\n{{ x }}\n{% set y = 2 -%}\n   {{ y }}",
    "  {% for i in [1, 2] %}\n    {{ i }}\n  {% endfor %}\n",
    "{% macro m(x) %}\n  [{{ x }}]\n{% endmacro %}\n{{ m(1) }}{{ m(2) }}",
    "{%- generation -%}\n  gen {{ 1 }}\n{%- endgeneration -%}|",
    # errors
    "{{ 1 + 'a' }}",
    "{{ 'a' + 1 }}",
    "{{ 'a' - 1 }}",
    "{{ undefined_var + 1 }}",
    "{{ undefined_var.attr }}",
    "{{ undefined_var['k'] }}",
    "{{ undefined_var() }}",
    "{{ 1 < 'a' }}",
    "{{ none|length }}",
    "{{ 1 / 0 }}",
    "{{ 1 // 0 }}",
    "{{ xs.append(1) }}",
    "{{ d.update({'a': 1}) }}",
    "{{ d.pop('a') }}",
    "{{ 'a'|nosuchfilter }}",
    "{% if true %}{{ 'a'|nosuchfilter }}{% endif %}",
    "{{ 1 is nosuchtest }}",
    "{% set x = 1 %}{% set x.y = 2 %}",
    "{{ 'abc'.index('z') }}",
    "{{ [1, 2].index(5) }}",
    "{{ 'a' in 1 }}",
    "{{ 1 in 'abc' }}",
    "{{ {[1]: 2} }}",
    "{{ 'x'|indent(undefined_var) }}",
    "{{ undefined_var|int }}",
    "{{ undefined_var|indent }}",
    "{% for x in 5 %}{% endfor %}",
    "{{ d|items|tojson }}",
    "{% if %}{% endif %}",
    "{% for %}",
    "{% if true %}",
    "{% endif %}",
    "{{ 1 + }}",
    "{{ 'unterminated }}",
    "{% include 'x' %}",
    "{% break %}",
    "{{ x }",
    "{# unterminated",
    "{{ 1 ",
    "{% raw %}x",
    "{% for x in xs %}{% endif %}",
    "{% macro %}{% endmacro %}",
    "{{ x - }}",
    "{{ [1,2][] }}",
    "{{ 'a' * 'b' }}",
    "{{ [1] + (1,) }}",
    "{{ '%d' % 'x' }}",
    "{{ '{} {}'.format(1) }}",
]


def main():
    out = []
    for src in PROBES:
        probe = {"template": src}
        try:
            probe["expected"] = env.from_string(src).render(**V)
        except Exception as e:  # noqa: BLE001 - any jinja2 failure is an expected error
            probe["error"] = type(e).__name__ + ": " + str(e)
        out.append(probe)
    print(json.dumps({"vars": V, "probes": out}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
