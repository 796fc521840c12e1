#!/bin/sh
# Run ansible-core's integration targets for drover's text/network modules with drover's
# implementation swapped in: the modules/examples/ansible_shim binary is installed as an
# Ansible binary module under each module's name (ANSIBLE_LIBRARY wins over
# ansible.legacy builtins), so the targets' own copy/stat/assert tasks, run by
# ansible-core, check drover's results. Every task runs (errors ignored) and the assert
# tasks are counted.
#
# Usage: scripts/ansible-targets-text.sh [target...]   (default: lineinfile blockinfile
#        replace wait_for unarchive). Needs /tmp/ansible-venv (ansible-core 2.19) and
#        fetches the ansible-core sdist into /tmp (GPL: never committed).
#        DROVER_SHIM=0 runs the same with ansible-core's own modules (the baseline: what
#        fails there fails for reasons of this machine, e.g. no internet, no setfacl).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${ANSIBLE_VENV:-/tmp/ansible-venv}
version=$("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)' 2>/dev/null || echo 2.19.14)
sdist=/tmp/ansible-sdist
if [ ! -d "$sdist/ansible_core-$version" ]; then
  mkdir -p "$sdist"
  "$venv/bin/pip" download -q --no-binary :all: --no-deps "ansible-core==$version" -d "$sdist"
  tar xzf "$sdist/ansible_core-$version.tar.gz" -C "$sdist"
fi
targets="$sdist/ansible_core-$version/test/integration/targets"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
(cd "$here" && cargo build -q -p drover-modules --example ansible_shim)
work=$(mktemp -d /tmp/drover-targets-XXXXXX)
mkdir -p "$work/library" "$work/callback_plugins"
strip -o "$work/shim" "$CARGO_TARGET_DIR/debug/examples/ansible_shim"
for m in lineinfile blockinfile replace wait_for unarchive get_url uri; do
  cp "$work/shim" "$work/library/$m"
done
cp "$here/scripts/jsonlines_callback.py" "$work/callback_plugins/jsonlines.py"
printf '[testgroup]\ntesthost ansible_connection=local ansible_pipelining=yes ansible_python_interpreter=/usr/bin/python3\n' > "$work/inventory"
[ $# -gt 0 ] || set -- lineinfile blockinfile replace wait_for unarchive
for t in "$@"; do
  printf -- '- hosts: testhost\n  gather_facts: true\n  tasks:\n    - include_role:\n        name: %s\n        apply:\n          ignore_errors: true\n' "$t" > "$work/play.yml"
  rm -rf "$work/out"; mkdir -p "$work/out"
  lib="$work/library"; [ "${DROVER_SHIM:-1}" = 1 ] || { lib="$work/none"; mkdir -p "$lib"; }
  OUTPUT_DIR="$work/out" ANSIBLE_ROLES_PATH="$targets" ANSIBLE_LIBRARY="$lib" \
  ANSIBLE_STDOUT_CALLBACK=jsonlines ANSIBLE_CALLBACK_PLUGINS="$work/callback_plugins" \
  ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 \
    "$venv/bin/ansible-playbook" -i "$work/inventory" "$work/play.yml" -e "output_dir=$work/out" \
    > "$work/$t.jsonl" 2> "$work/$t.err" || true
  python3 "$here/scripts/count_asserts.py" "$t" "$work/$t.jsonl"
done
echo "work dir: $work"
