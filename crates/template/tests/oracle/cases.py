VARS = {
  "d": {"a": 1, "b": {"x": 1, "y": [1]}},
  "d2": {"b": {"y": [2], "z": 3}, "c": 4},
  "l": [3, 1, 2, 3],
  "s": "str",
  "words": "hello world",
  "users": [{"name": "a", "groups": ["g1", "g2"], "age": 30}, {"name": "b", "groups": ["g3"], "age": 20}],
  "r_ok": {"rc": 0, "changed": True},
  "r_fail": {"failed": True, "rc": 1},
  "r_skip": {"skipped": True, "changed": False},
  "r_loop": {"results": [{"changed": False}, {"changed": True}]},
  "p1": "^a.*i(.*)$", "r1": "a\\1",
  "p2": "^(?P<host>.+):(?P<port>\\d+)$", "r2": "\\g<host>, \\g<port>",
  "p3": "server([0-9]+)/database([0-9]+)", "g1": "\\1", "g2": "\\2",
  "p4": "(\\w+)=(\\w+)",
  "ml": "line1\nline2",
  "yaml_text": "a: [1, 2]\nb: yes\nc: 0644\nd: ~\n",
  "json_text": "{\"a\": [1, 2], \"b\": null}",
  "url": "https://user:pw@host.com:8080/p/a?q=1#frag",
}
CASES = r'''
{{ 'no' | bool }}
{{ 'yes' | bool }}
{{ 'on' | bool }}
{{ '1' | bool }}
{{ 'True' | bool }}
{{ 'foo' | bool }}
{{ 1 | bool }}
{{ 2 | bool }}
{{ none | bool }}
{{ 'abc' | int }}
{{ 'abc' | int(5) }}
{{ '0x1A' | int(0, 16) }}
{{ '12' | int }}
{{ 3.7 | int }}
{{ '3.7' | int }}
{{ true | int }}
{{ 'abc' | float }}
{{ '1.5' | float }}
{{ 2 | float }}
{{ none | default('x') }}
{{ '' | default('x', true) }}
{{ '' | d('x') }}
{{ nope | default('x') }}
{{ d.q | default(d.a) }}
{{ true | ternary('y', 'n') }}
{{ none | ternary('y', 'n', 'z') }}
{{ 0 | ternary('y', 'n') }}
{{ [1] | type_debug }}
{{ 'a' | type_debug }}
{{ {} | type_debug }}
{{ 1.5 | type_debug }}
{{ 1 | type_debug }}
{{ none | type_debug }}
{{ true | type_debug }}
{{ d.a | mandatory }}
{{ d | to_json }}
{{ d | to_nice_json }}
{{ {'b': 1, 'a': [1, {'c': 'é'}]} | to_json }}
{{ {'b': 1, 'a': 2} | to_json(sort_keys=true) }}
{{ 1.0 | to_json }}
{{ 'x' | to_json }}
{{ [] | to_nice_json }}
{{ d | to_nice_json(indent=2) }}
{{ json_text | from_json }}
{{ d | to_yaml }}
{{ d | to_nice_yaml }}
{{ users | to_nice_yaml }}
{{ users | to_yaml }}
{{ d | to_nice_yaml(indent=2) }}
{{ yaml_text | from_yaml }}
{{ d | combine(d2) }}
{{ d | combine(d2, recursive=true) }}
{{ d | combine(d2, recursive=true, list_merge='append') }}
{{ d | combine(d2, recursive=true, list_merge='prepend') }}
{{ d | combine(d2, recursive=true, list_merge='keep') }}
{{ [d, d2] | combine }}
{{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp') }}
{{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend_rp') }}
{{ d | dict2items }}
{{ d | dict2items(key_name='k', value_name='v') }}
{{ [{'key': 'a', 'value': 1}] | items2dict }}
{{ [{'k': 'a', 'v': 1}] | items2dict(key_name='k', value_name='v') }}
{{ [1, [2, [3, [4]]]] | flatten }}
{{ [1, [2, [3, [4]]]] | flatten(levels=1) }}
{{ [1, [2, [3, [4]]]] | flatten(1) }}
{{ [1, none, [2]] | flatten }}
{{ l | unique }}
{{ l | difference([1]) }}
{{ l | union([5, 1]) }}
{{ l | intersect([3, 9]) }}
{{ l | symmetric_difference([1, 9]) }}
{{ [1, 2] | product(['a', 'b']) | list }}
{{ [1, 2] | zip(['a', 'b', 'c']) | list }}
{{ [1, 2] | zip_longest(['a', 'b', 'c'], fillvalue='x') | list }}
{{ [1, 2] | zip_longest(['a', 'b', 'c']) | list }}
{{ users | subelements('groups') }}
{{ l | min }}
{{ l | max }}
{{ l | sum }}
{{ [[1], [2, 3]] | sum(start=[]) }}
{{ users | map(attribute='age') | sum }}
{{ users | max(attribute='age') }}
{{ users | min(attribute='age') }}
{{ l | join(',') }}
{{ [1, true, none] | join(',') }}
{{ l | sort }}
{{ l | sort(reverse=true) }}
{{ users | sort(attribute='age') | map(attribute='name') | list }}
{{ l | length }}
{{ l | first }}
{{ l | last }}
{{ d | list }}
{{ d.items() | list }}
{{ d.keys() | list }}
{{ d.values() | list }}
{{ 'a,b' | split(',') }}
{{ 'a b'.split() }}
{{ 'a-b-c'.split('-', 1) }}
{{ 'abc'.startswith('a') }}
{{ 'abc'.endswith('x') }}
{{ ' x '.strip() }}
{{ 'Abc'.upper() }}
{{ 'abc'.replace('b', 'X') }}
{{ d.get('a') }}
{{ d.get('zz', 5) }}
{{ l | map('string') | list }}
{{ ['1', '2'] | map('int') | list }}
{{ users | map(attribute='name') | list }}
{{ users | selectattr('age', 'gt', 25) | map(attribute='name') | list }}
{{ users | rejectattr('age', 'gt', 25) | map(attribute='name') | list }}
{{ ['ab', 'cd'] | select('match', 'a') | list }}
{{ ['ab', 'cd'] | reject('search', 'd') | list }}
{{ ['c'] | map('extract', d2) | list }}
{{ ['b'] | map('extract', d, 'x') | list }}
{{ 'hello' | hash('sha1') }}
{{ 'hello' | hash('md5') }}
{{ 'hello' | hash('sha256') }}
{{ 'hello' | hash }}
{{ 'hello' | checksum }}
{{ 'hello' | md5 }}
{{ 'hello' | sha1 }}
{{ 'héllo' | b64encode }}
{{ 'aMOpbGxv' | b64decode }}
{{ "it's a b" | quote }}
{{ '' | quote }}
{{ 'abc_1.2/x' | quote }}
{{ words | comment }}
{{ 'x' | comment('c') }}
{{ 'x' | comment('erlang') }}
{{ 'x' | comment('cblock') }}
{{ 'x' | comment('xml') }}
{{ 'x' | comment(decoration='; ') }}
{{ 'x' | comment('c', prefix='P', postfix='Q') }}
{{ ml | comment }}
{{ '1K' | human_to_bytes }}
{{ '1.5 MB' | human_to_bytes }}
{{ '10Mb' | human_to_bytes(isbits=True) }}
{{ '100' | human_to_bytes }}
{{ '2' | human_to_bytes(default_unit='G') }}
{{ 1024 | human_readable }}
{{ 1536000 | human_readable }}
{{ 1048576 | human_readable(unit='K') }}
{{ 10 | human_readable(isbits=True) }}
{{ 0 | human_readable }}
{{ url | urlsplit }}
{{ url | urlsplit('hostname') }}
{{ 'https://host.com/p' | urlsplit('port') }}
{{ '/a/b/c.txt' | basename }}
{{ '/a/b/c.txt' | dirname }}
{{ 'c.txt' | dirname }}
{{ '/a/b/' | basename }}
{{ 'a/b.tar.gz' | splitext }}
{{ '.bashrc' | splitext }}
{{ '/etc/../etc/./hosts' | realpath }}
{{ ['/a', 'b', 'c'] | path_join }}
{{ ['a', '/b', 'c'] | path_join }}
{{ '%Y' | strftime(0) }}
{{ '%Y-%m-%d %H:%M:%S' | strftime(86400, utc=true) }}
{{ 'foo bar' | regex_replace('o+', 'X') }}
{{ 'ansible' | regex_replace(p1, r1) }}
{{ 'localhost:80' | regex_replace(p2, r2) }}
{{ 'Foo foo' | regex_replace('foo', 'x', ignorecase=true) }}
{{ 'aaa' | regex_replace('a', 'b', count=2) }}
{{ ml | regex_replace('$', '!', multiline=true) }}
{{ 'server1/database42' | regex_search('database[0-9]+') }}
{{ 'foo' | regex_search('bar') }}
{{ 'server1/database42' | regex_search(p3, g1, g2) }}
{{ 'a1b22c333' | regex_findall('[0-9]+') }}
{{ 'k1=v1 k2=v2' | regex_findall(p4) }}
{{ ml | regex_findall('^line', multiline=true) }}
{{ 'a.b*c/d' | regex_escape }}
{{ 'abc' is match('b') }}
{{ 'abc' is search('b') }}
{{ 'abc' is regex('^a') }}
{{ 'ABC' is match('a', ignorecase=true) }}
{{ r_ok is succeeded }}
{{ r_ok is success }}
{{ r_ok is failed }}
{{ r_fail is failed }}
{{ r_fail is failure }}
{{ r_fail is succeeded }}
{{ r_ok is changed }}
{{ r_loop is changed }}
{{ r_skip is skipped }}
{{ r_ok is skipped }}
{{ r_ok is finished }}
{{ '1.2.3' is version('1.2', '>') }}
{{ '1.2.3' is version('1.10', 'lt') }}
{{ '1.0' is version('1.0.0', '==') }}
{{ '2.0rc1' is version('2.0', '<') }}
{{ '1.2.3' is version('1.2.3', 'eq', strict=true) }}
{{ '1.2' is version_compare('1.3', '<=') }}
{{ '1.2.3-beta' is version('1.2.3', '<', version_type='semver') }}
{{ [1, 2] is subset([1, 2, 3]) }}
{{ [1, 2, 3] is superset([1]) }}
{{ [1, 2] is contains(1) }}
{{ {'a': 1} is contains('a') }}
{{ 'yes' is truthy }}
{{ '' is falsy }}
{{ 'no' is truthy(convert_bool=true) }}
{{ '/etc' is directory }}
{{ '/etc/hosts' is file }}
{{ '/nope' is exists }}
{{ '/etc/hosts' is abs }}
{{ 'x' is string }}
{{ 1 is number }}
{{ {} is mapping }}
{{ [] is sequence }}
{{ 'x' is sequence }}
{{ none is none }}
{{ true is boolean }}
{{ 1 is integer }}
{{ 1.0 is float }}
{{ 'abc' is iterable }}
{{ 1 is in([1, 2]) }}
{{ d is defined }}
{{ d.zz is undefined }}
{{ '%s-%03d' | format('a', 7) }}
{{ 'abc' | upper }}
{{ 'ABC' | lower }}
{{ 'hello world' | title }}
{{ 'hello' | capitalize }}
{{ '  x  ' | trim }}
{{ 'aXbX' | replace('X', '-') }}
{{ 'ab' | reverse }}
{{ [1, 2] | reverse | list }}
{{ 3.14159 | round(2) }}
{{ -3 | abs }}
{{ 'abc' | length }}
{{ [1, 2, 3, 4, 5] | batch(2) | list }}
{{ range(3) | list }}
{{ dict(a=1) }}
{{ users | groupby('age') | map('first') | list }}
{{ 'a\nb' | indent(2) }}
{{ 'x y' | urlencode }}
{{ [1, 2] + [3] }}
{{ 'a' ~ 1 }}
{{ 10 // 3 }}
{{ 10 % 3 }}
{{ 2 ** 3 }}
{{ 'a' in 'abc' }}
{{ d.b.x if d.b is defined else 0 }}
{{ lookup('items', [1, 2]) }}
{{ lookup('items', [1]) }}
{{ lookup('items', ['a', 'b']) }}
{{ lookup('env', 'NOPE_X_Y') }}
{{ lookup('env', 'NOPE_X_Y', default='dflt') }}
{{ lookup('vars', 'd') }}
{{ lookup('vars', 'nope', default=3) }}
{{ query('vars', 'd') }}
{{ lookup('pipe', 'echo hi') }}
{{ query('lines', 'printf "a\nb\n"') }}
{{ lookup('lines', 'printf "a\nb\n"') }}
{{ lookup('indexed_items', ['a', 'b']) }}
{{ lookup('dict', d2) }}
{{ query('dict', d2) }}
{{ lookup('sequence', 'start=1 end=3') }}
{{ query('sequence', 'start=1 end=9 stride=3 format=x%02d') }}
{{ query('sequence', 'count=3') }}
{{ query('sequence', '4-6') }}
{{ q('items', [[1, 2], [3]]) }}
{{ lookup('items', [1, 2], wantlist=True) }}
{{ query('together', [1, 2], ['a']) }}
{{ query('nested', [1, 2], ['a', 'b']) }}
{{ query('subelements', users, 'groups') | map('last') | list }}
{{ lookup('first_found', ['/nope', '/etc/hosts']) }}
{{ lookup('first_found', ['/nope'], errors='ignore') }}
{{ lookup('file', '/nope', errors='ignore') }}
{{ 8 | log(2) }}
{{ 2 | pow(3) }}
{{ 9 | root }}
{{ 'www.example.com' | to_uuid }}
{{ 'a: b' | from_yaml }}
{{ [1, 'two', none, true, 1.5] | to_yaml }}
ERR {{ nope }}
ERR {{ d.zz }}
ERR {{ d.zz.y }}
ERR {{ l[10] }}
ERR {{ nope | upper }}
ERR {{ nope | length }}
ERR {{ d.zz | mandatory }}
ERR {{ nope | mandatory('custom msg') }}
ERR {{ lookup('vars', 'nope') }}
ERR {{ lookup('nope_plugin', 'x') }}
ERR {{ ['x'] | map('extract', d2) | list }}
ERR {{ 'secret' | regex_replace('(', 'x') }}
'''
