"""A stdout callback printing one JSON line per task result (for scripts/ansible-targets-text.sh)."""
import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'jsonlines'

    def _out(self, status, result):
        r = dict(result._result)
        print(json.dumps({"status": status, "task": result._task.get_name(),
                          "action": result._task.action,
                          "msg": str(r.get("msg", ""))[:300]}), flush=True)

    def v2_runner_on_ok(self, result):
        self._out("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._out("failed", result)

    def v2_runner_on_skipped(self, result):
        self._out("skipped", result)
