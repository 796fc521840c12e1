"""The user service: POST /register, POST /login, GET /users/ID.

Users are kept in users.json in the data directory the settings name.
"""

import hashlib
import json
import os
import secrets
import threading

import shopkit

settings = shopkit.load_settings()
store = os.path.join(settings["service"]["data_dir"], "users.json")
lock = threading.Lock()


def load():
    try:
        with open(store) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def save(users):
    with open(store + ".tmp", "w") as f:
        json.dump(users, f)
    os.replace(store + ".tmp", store)


def digest(salt, password):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 100_000).hex()


def public(user):
    return {"id": user["id"], "name": user["name"]}


def handle(method, parts, body):
    if method == "POST" and parts == ["register"]:
        with lock:
            users = load()
            if any(u["name"] == body["name"] for u in users):
                raise shopkit.HttpError(409, f"user {body['name']} exists")
            salt = secrets.token_hex(16)
            user = {
                "id": len(users) + 1,
                "name": body["name"],
                "salt": salt,
                "password": digest(salt, body["password"]),
            }
            save(users + [user])
        return 201, public(user)
    if method == "POST" and parts == ["login"]:
        for user in load():
            if user["name"] == body["name"] and user["password"] == digest(user["salt"], body["password"]):
                return 200, dict(public(user), token=secrets.token_hex(16))
        raise shopkit.HttpError(401, "wrong name or password")
    if method == "GET" and len(parts) == 2 and parts[0] == "users":
        for user in load():
            if str(user["id"]) == parts[1]:
                return 200, public(user)
    raise shopkit.HttpError(404, "not found")


shopkit.run("user", settings, handle)
