"""The yardstick for page speed: the product and district pages from raw asyncpg and plain Jinja2.

The "fortunes" pattern of web framework benchmarks: a bare ASGI app, a connection pool, one
prepared statement per query, a template rendered with the rows. It reads the same rows the
storefront shows (a product with its seller, place, photos and bulk prices; a district with its
ODOP products and the newest 24 public listings as cards) and renders HTML of a similar size, so
the storefront's cost per page can be stated as a ratio to it, measured in the same run.

    ODOP_REFERENCE_DSN=postgresql://postgres@127.0.0.1:5432/odop_bench \\
        python -m uvicorn bench.reference_app:app --port 8001

PostgreSQL only. ``/`` and ``/healthz`` answer "ok"; anything else unknown is a 404.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

import asyncpg
import jinja2

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PRODUCT_SQL = """
SELECT l.id, l.slug, l.title, l.description, l.price_paise, l.moq, l.unit_code, l.stock,
       l.made_to_order, l.lead_time_days, l.export_ready, l.hs_code, l.hsn_code, l.gst_rate_bp,
       s.slug AS seller_slug, s.display_name, s.seller_type,
       st.slug AS state_slug, st.name AS state_name, d.slug AS district_slug,
       d.name AS district_name
FROM listings l
JOIN sellers s ON s.id = l.seller_id
JOIN states st ON st.id = l.state_id
JOIN districts d ON d.id = l.district_id
WHERE l.slug = $1 AND l.status = 'published'
  AND EXISTS (SELECT 1 FROM sellers v WHERE v.id = l.seller_id AND v.status = 'verified')
"""
IMAGES_SQL = (
    "SELECT storage_key, thumb_key, width, height, alt FROM listing_images"
    " WHERE listing_id = $1 ORDER BY position"
)
TIERS_SQL = (
    "SELECT min_quantity, price_paise FROM price_tiers WHERE listing_id = $1 ORDER BY min_quantity"
)
DISTRICT_SQL = """
SELECT d.id, d.name, d.story, st.slug AS state_slug, st.name AS state_name
FROM districts d JOIN states st ON st.id = d.state_id
WHERE st.slug = $1 AND d.slug = $2
"""
ODOP_SQL = "SELECT id, name, story FROM odop_products WHERE district_id = $1 ORDER BY id"
CARDS_SQL = """
SELECT l.slug, l.title, l.price_paise, l.moq, l.unit_code, s.slug AS seller_slug,
       s.display_name,
       (SELECT i.thumb_key FROM listing_images i WHERE i.listing_id = l.id
        ORDER BY i.position LIMIT 1) AS thumb_key
FROM listings l JOIN sellers s ON s.id = l.seller_id
WHERE l.district_id = $1 AND l.status = 'published'
  AND EXISTS (SELECT 1 FROM sellers v WHERE v.id = l.seller_id AND v.status = 'verified')
ORDER BY l.published_at DESC, l.id DESC
LIMIT 24
"""

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · ODOP Bazaar</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body><header><a href="/">ODOP Bazaar</a>
<form action="/search" method="get"><label for="q">Search</label><input id="q" name="q"></form>
</header><main>{% block content %}{% endblock %}</main>
<footer><p>One District One Product</p></footer></body></html>"""

PRODUCT = """{% extends "layout.html" %}
{% block title %}{{ p.title }}{% endblock %}
{% block content %}
<nav class="breadcrumb"><a href="/">Home</a> ›
<a href="/states/{{ p.state_slug }}">{{ p.state_name }}</a> ›
<a href="/states/{{ p.state_slug }}/{{ p.district_slug }}">{{ p.district_name }}</a></nav>
<article class="product"><div class="product-photos">
{% for i in images %}<img src="/media/{{ i.storage_key }}"
 srcset="/media/{{ i.thumb_key }} 400w, /media/{{ i.storage_key }} {{ i.width }}w"
 alt="{{ i.alt or p.title }}" width="{{ i.width }}" height="{{ i.height }}">{% endfor %}
</div><div class="product-info"><h1>{{ p.title }}</h1>
<p class="price">₹{{ "{:,.2f}".format(p.price_paise / 100) }} per {{ p.unit_code }}</p>
<p class="small">Price includes GST at {{ p.gst_rate_bp / 100 }}%.
{% if p.hsn_code %}HSN code {{ p.hsn_code }}.{% endif %}</p>
{% if tiers %}<table class="tiers"><caption>Bulk prices per unit</caption>
{% for t in tiers %}<tr><td>{{ t.min_quantity }} or more</td>
<td>₹{{ "{:,.2f}".format(t.price_paise / 100) }}</td></tr>{% endfor %}</table>{% endif %}
<dl class="facts"><dt>Minimum order</dt><dd>{{ p.moq }} {{ p.unit_code }}</dd>
<dt>Availability</dt><dd>{% if p.made_to_order %}Made to order{% elif p.stock > 0 %}In stock
{% else %}Out of stock{% endif %}</dd>
<dt>Dispatch</dt><dd>Dispatched within {{ p.lead_time_days }} days of your order</dd>
<dt>Export</dt><dd>{% if p.export_ready %}Export-ready{% if p.hs_code %} · HS code
{{ p.hs_code }}{% endif %}{% else %}Domestic sales only{% endif %}</dd></dl>
<section class="seller-box"><h2>Seller</h2><p><a href="/sellers/{{ p.seller_slug }}">
{{ p.display_name }}</a> · {{ p.seller_type }}</p></section></div></article>
<section><h2>About this product</h2><p class="description">{{ p.description }}</p></section>
{% endblock %}"""

DISTRICT = """{% extends "layout.html" %}
{% block title %}{{ d.name }}, {{ d.state_name }}: ODOP products{% endblock %}
{% block content %}
<nav class="breadcrumb"><a href="/">Home</a> ›
<a href="/states/{{ d.state_slug }}">{{ d.state_name }}</a> › {{ d.name }}</nav>
<h1>{{ d.name }}</h1>{% if d.story %}<p class="lead">{{ d.story }}</p>{% endif %}
<section><h2>What {{ d.name }} makes</h2><div class="odop-cards">
{% for o in odop %}<article class="card odop-card"><h3>{{ o.name }}</h3>
{% if o.story %}<p>{{ o.story }}</p>{% endif %}</article>{% endfor %}</div></section>
<section><h2>Products from {{ d.name }}</h2><div class="cards">
{% for c in cards %}<article class="card"><a href="/products/{{ c.slug }}">
{% if c.thumb_key %}<img src="/media/{{ c.thumb_key }}" alt="{{ c.title }}" width="400"
 height="300" loading="lazy">{% endif %}<h3>{{ c.title }}</h3></a>
<p class="price">₹{{ "{:,.2f}".format(c.price_paise / 100) }} per {{ c.unit_code }}</p>
<p class="card-meta">Min. order {{ c.moq }} · {{ d.name }}, {{ d.state_name }}</p>
<p class="card-meta"><a href="/sellers/{{ c.seller_slug }}">{{ c.display_name }}</a></p>
</article>{% endfor %}</div></section>
{% endblock %}"""

templates = jinja2.Environment(
    loader=jinja2.DictLoader({"layout.html": LAYOUT, "product.html": PRODUCT, "d.html": DISTRICT}),
    autoescape=True,
)
_pool: asyncpg.Pool | None = None


async def product(connection: asyncpg.Connection, slug: str) -> str | None:
    row = await connection.fetchrow(PRODUCT_SQL, slug)
    if row is None:
        return None
    images = await connection.fetch(IMAGES_SQL, row["id"])
    tiers = await connection.fetch(TIERS_SQL, row["id"])
    return templates.get_template("product.html").render(p=row, images=images, tiers=tiers)


async def district(connection: asyncpg.Connection, state_slug: str, slug: str) -> str | None:
    row = await connection.fetchrow(DISTRICT_SQL, state_slug, slug)
    if row is None:
        return None
    odop = await connection.fetch(ODOP_SQL, row["id"])
    cards = await connection.fetch(CARDS_SQL, row["id"])
    return templates.get_template("d.html").render(d=row, odop=odop, cards=cards)


async def page(path: str) -> str | None:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    assert _pool is not None
    async with _pool.acquire() as connection:
        if len(parts) == 2 and parts[0] == "products":
            return await product(connection, parts[1])
        if len(parts) == 3 and parts[0] == "states":
            return await district(connection, parts[1], parts[2])
    return None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                dsn = os.environ["ODOP_REFERENCE_DSN"]
                size = int(os.environ.get("ODOP_REFERENCE_POOL", "32"))
                _pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    body = "ok" if path in ("/", "/healthz") else await page(path)
    await send(
        {
            "type": "http.response.start",
            "status": 200 if body is not None else 404,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": (body or "Not found").encode()})
