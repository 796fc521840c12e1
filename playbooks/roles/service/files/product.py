"""The product service: the catalogue, GET /products and GET /products/ID.

Prices are in cents of the currency the settings name.
"""

import shopkit

settings = shopkit.load_settings()
currency = settings["settings"].get("currency", "EUR")

CATALOGUE = [
    {"id": 1, "name": "teapot", "price": 2500},
    {"id": 2, "name": "mug", "price": 800},
    {"id": 3, "name": "kettle", "price": 4200},
]


def handle(method, parts, body):
    if method == "GET" and parts == ["products"]:
        return 200, [dict(p, currency=currency) for p in CATALOGUE]
    if method == "GET" and len(parts) == 2 and parts[0] == "products":
        for p in CATALOGUE:
            if str(p["id"]) == parts[1]:
                return 200, dict(p, currency=currency)
    raise shopkit.HttpError(404, "not found")


shopkit.run("product", settings, handle)
