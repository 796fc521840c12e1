"""Count assert tasks passed/failed in a jsonlines callback log (scripts/ansible-targets-text.sh)."""
import json
import sys

name, path = sys.argv[1], sys.argv[2]
ok = failed = 0
fails = []
MODULES = ("lineinfile", "blockinfile", "replace", "wait_for", "unarchive", "get_url", "uri")
for line in open(path):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    action = r["action"].split(".")[-1]
    if action == "assert":
        if r["status"] == "failed":
            failed += 1
            fails.append(f"  FAILED assert: {r['task']}: {r['msg']}")
        elif r["status"] == "ok":
            ok += 1
    elif r["status"] == "failed" and action in MODULES:
        fails.append(f"  module failed ({action}): {r['task']}: {r['msg']}")
print(f"{name}: {ok} assert tasks passed, {failed} failed")
print("\n".join(fails))
