"""The order service: POST /orders, GET /orders/ID.

An order names a user and products by id; both are checked with the user and
product services, at the URLs the settings give.
"""

import itertools
import threading

import shopkit

settings = shopkit.load_settings()
user_url = settings["settings"]["user_url"]
product_url = settings["settings"]["product_url"]
orders = {}
ids = itertools.count(1)
lock = threading.Lock()


def handle(method, parts, body):
    if method == "POST" and parts == ["orders"]:
        user = shopkit.call(f"{user_url}/users/{int(body['user_id'])}")
        lines, total, currency = [], 0, None
        for item in body["items"]:
            product = shopkit.call(f"{product_url}/products/{int(item['product_id'])}")
            quantity = int(item.get("quantity", 1))
            lines.append({"product": product["name"], "quantity": quantity})
            total += product["price"] * quantity
            currency = product["currency"]
        with lock:
            order = {"id": next(ids), "user": user["name"], "items": lines, "total": total, "currency": currency}
            orders[order["id"]] = order
        return 201, order
    if method == "GET" and len(parts) == 2 and parts[0] == "orders":
        with lock:
            order = orders.get(int(parts[1]))
        if order:
            return 200, order
    raise shopkit.HttpError(404, "not found")


shopkit.run("order", settings, handle)
