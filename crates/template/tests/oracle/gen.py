import json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from cases import VARS, CASES
cases = [l for l in CASES.strip('\n').split('\n') if l.strip()]
tmpls = []
for c in cases:
    if c.startswith('ERR '):
        tmpls.append(('err', c[4:]))
    else:
        tmpls.append(('ok', c))
tasks = [{'debug': {'msg': t}, 'ignore_errors': True} for _, t in tmpls]
play = [{'hosts': 'localhost', 'gather_facts': False, 'vars': VARS, 'tasks': tasks}]
d = tempfile.mkdtemp(); p = os.path.join(d, 'p.yml'); json.dump(play, open(p, 'w'))
env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='jl', ANSIBLE_CALLBACK_PLUGINS='/tmp/orc/cb', ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False', ANSIBLE_DEPRECATION_WARNINGS='False', TZ='UTC')
r = subprocess.run(['/tmp/ansible-venv/bin/ansible-playbook', '-i', 'localhost,', '-c', 'local', p], capture_output=True, text=True, env=env)
lines = [json.loads(l[2:]) for l in r.stdout.splitlines() if l.startswith('JL')]
assert len(lines) == len(tmpls), (len(lines), len(tmpls), r.stdout[-2000:], r.stderr[-2000:])
out = {'vars': VARS, 'cases': []}
for (kind, t), res in zip(tmpls, lines):
    if res['failed']:
        msg = res['msg']
        # keep the innermost message
        for pre in ["Task failed: Finalization of task args for 'ansible.builtin.debug' failed: Error while resolving value for 'msg': "]:
            if msg.startswith(pre): msg = msg[len(pre):]
        out['cases'].append({'t': t, 'error': msg, 'expect_error': kind == 'err'})
    else:
        out['cases'].append({'t': t, 'value': res['msg'], 'expect_error': kind == 'err'})
json.dump(out, open(sys.argv[1], 'w'), indent=1, ensure_ascii=False)
for c in out['cases']:
    if ('error' in c) != c['expect_error']:
        print("MISMATCH", c)
