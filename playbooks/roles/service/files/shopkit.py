"""Plumbing shared by the shop's services: settings file, JSON over HTTP, logging.

Standard library only. A service module defines `handle(method, parts, body)` and
calls `run(name, settings, handle)`; `parts` is the URL path split on "/".
"""

import configparser
import json
import logging
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def load_settings():
    """The INI file named on the command line (templated by the playbook)."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} SETTINGS.ini")
    settings = configparser.ConfigParser()
    if not settings.read(sys.argv[1]):
        sys.exit(f"cannot read {sys.argv[1]}")
    return settings


def call(url, body=None):
    """GET (or POST with a JSON body) another service; its JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        raise HttpError(404 if e.code == 404 else 502, f"{url}: HTTP {e.code}") from e
    except OSError as e:
        raise HttpError(502, f"{url}: {e}") from e


def run(name, settings, handle):
    service = settings["service"]
    port = service.getint("port")
    health = {"service": name, "version": service["version"], "port": port}
    logging.basicConfig(
        level=service.get("log_level", "info").upper(),
        format=f"%(asctime)s {name} %(levelname)s %(message)s",
    )
    log = logging.getLogger(name)

    class Handler(BaseHTTPRequestHandler):
        def answer(self, method):
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            try:
                if method == "GET" and parts == ["health"]:
                    status, result = 200, health
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"null") if length else None
                    status, result = handle(method, parts, body)
            except HttpError as e:
                status, result = e.status, {"error": str(e)}
            except (ValueError, KeyError, TypeError) as e:
                status, result = 400, {"error": f"bad request: {e}"}
            data = json.dumps(result).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer("GET")

        def do_POST(self):
            self.answer("POST")

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    try:
        server = ThreadingHTTPServer((service.get("bind", "127.0.0.1"), port), Handler)
    except OSError as e:
        # Exit at once: supervisord then reports the start as failed.
        sys.exit(f"{name}: cannot listen on port {port}: {e}")
    log.info("version %s listening on port %d", service["version"], port)
    server.serve_forever()
