"""The yardstick for page speed: the catalog pages from raw asyncpg and plain Jinja2.

The "fortunes" pattern of web framework benchmarks: a bare ASGI app, a connection pool, one
prepared statement per query, a template rendered with the rows. It reads the same rows the
storefront shows (a product with its seller, place, photos and bulk prices; a district with its
ODOP products and the newest 24 public listings as cards) and renders HTML of a similar size, so
the storefront's cost per page can be stated as a ratio to it, measured in the same run.

The home and State pages show what the storefront shows there (States with their product and
district counts, the eight districts and GI tags with the most products, the categories; a
State's districts with their ODOP products and counts). The storefront keeps those rows in its
catalog cache for ``catalog_cache_seconds`` (60 s by default) and only renders per request, so
the reference holds them per process for ``ODOP_REFERENCE_CACHE_SECONDS`` (60 s) too: both
pages then measure rendering and the request path, not the counting queries.

    ODOP_REFERENCE_DSN=postgresql://postgres@127.0.0.1:5432/odop_bench \\
        python -m uvicorn bench.reference_app:app --port 8001

PostgreSQL only. ``/healthz`` answers "ok"; anything else unknown is a 404.
"""

from __future__ import annotations

import os
import time
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

COUNTS_SQL = """
SELECT l.district_id, l.state_id, count(*) AS n FROM listings l
WHERE l.status = 'published'
  AND EXISTS (SELECT 1 FROM sellers v WHERE v.id = l.seller_id AND v.status = 'verified')
GROUP BY l.district_id, l.state_id
"""
STATES_SQL = """
SELECT st.id, st.slug, st.name, (SELECT count(*) FROM districts d WHERE d.state_id = st.id) AS
       districts
FROM states st ORDER BY st.name
"""
FEATURED_DISTRICTS_SQL = """
SELECT d.id, d.slug, d.name, st.slug AS state_slug, st.name AS state_name,
       (SELECT o.name FROM odop_products o WHERE o.district_id = d.id ORDER BY o.id LIMIT 1)
       AS product,
       (SELECT i.thumb_key FROM listings l JOIN listing_images i ON i.listing_id = l.id
        WHERE l.district_id = d.id AND l.status = 'published'
        ORDER BY l.published_at DESC, l.id DESC, i.position LIMIT 1) AS photo
FROM districts d JOIN states st ON st.id = d.state_id
WHERE d.id = ANY($1::int[])
"""
GI_COUNTS_SQL = """
SELECT g.id, g.slug, g.name, g.goods_class, count(*) AS n,
       (SELECT st.name FROM gi_tag_states gs JOIN states st ON st.id = gs.state_id
        WHERE gs.gi_tag_id = g.id ORDER BY gs.position LIMIT 1) AS state_name
FROM listings l JOIN gi_tags g ON g.id = l.gi_tag_id
WHERE l.status = 'published'
  AND EXISTS (SELECT 1 FROM sellers v WHERE v.id = l.seller_id AND v.status = 'verified')
GROUP BY g.id ORDER BY n DESC, g.id LIMIT 8
"""
CATEGORIES_SQL = """
SELECT c.slug, c.name,
       (SELECT count(*) FROM listings l WHERE l.category_id = c.id AND l.status = 'published'
        AND EXISTS (SELECT 1 FROM sellers v WHERE v.id = l.seller_id
                    AND v.status = 'verified')) AS n
FROM categories c ORDER BY c.position, c.name
"""
STATE_SQL = "SELECT id, slug, name FROM states WHERE slug = $1"
STATE_DISTRICTS_SQL = """
SELECT d.id, d.slug, d.name,
       coalesce((SELECT string_agg(o.name, ' · ' ORDER BY o.id) FROM odop_products o
                 WHERE o.district_id = d.id), '') AS products
FROM districts d WHERE d.state_id = $1 ORDER BY d.name
"""
GOODS_CLASSES = ("handicraft", "agricultural", "foodstuff", "manufactured", "natural")

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

HOME = """{% extends "layout.html" %}
{% block title %}Products of every district of India{% endblock %}
{% block content %}
<section class="hero"><h1>One District, One Product</h1>
<form class="search-form" role="search" action="/search" method="get">
<label for="site-search">Search products, districts and GI tags</label>
<input id="site-search" type="search" name="q" maxlength="200"><button type="submit">Search
</button></form><p>Buy directly from the artisans of India's districts.</p></section>
<section><h2>States and Union Territories</h2><ul class="states-compact">
{% for s in states %}<li><a href="/states/{{ s.slug }}">{{ s.name }}</a>
{% if s.count %}<span class="small">Products: {{ s.count }}</span>{% endif %}</li>{% endfor %}
</ul></section>
{% if districts %}<section><h2>Featured districts</h2><ul class="grid featured-districts">
{% for d in districts %}<li>{% if d.photo %}<img src="/media/{{ d.photo }}" alt="" width="400"
 height="300" loading="lazy" decoding="async">{% endif %}
<a href="/states/{{ d.state_slug }}/{{ d.slug }}">{{ d.name }}</a>
<span class="small">{{ d.state_name }}</span>{% if d.product %}<span>{{ d.product }}</span>
{% endif %}<span class="small">Products: {{ d.count }}</span></li>{% endfor %}</ul></section>
{% endif %}
{% if gi %}<section><h2>GI-tagged products</h2><ul class="grid">
{% for g in gi %}<li><a href="/gi/{{ g.slug }}">{{ g.name }}</a>
<span class="small">{{ g.state_name or "" }} · {{ g.goods_class }}</span>
<span class="small">Products: {{ g.n }}</span></li>{% endfor %}</ul>
<p><a href="/gi">All GI tags</a></p></section>{% endif %}
<section><h2>GI goods classes</h2><ul class="chips">
{% for value in goods_classes %}<li><a href="/gi?goods_class={{ value }}">{{ value }}</a></li>
{% endfor %}</ul></section>
<section><h2>Crafts and products</h2><ul class="chips">
{% for c in categories %}<li><a href="/categories/{{ c.slug }}">{{ c.name }}</a>
<span class="small">({{ c.n }})</span></li>{% endfor %}</ul></section>
{% endblock %}"""

STATE = """{% extends "layout.html" %}
{% block title %}ODOP products of {{ s.name }}{% endblock %}
{% block content %}
<nav class="breadcrumb"><a href="/">Home</a> › <span aria-current="page">{{ s.name }}</span></nav>
<h1>{{ s.name }}</h1><p><a href="/gi?state={{ s.slug }}">GI tags of {{ s.name }}</a></p>
<ul class="grid districts">
{% for d in districts %}<li><a href="/states/{{ s.slug }}/{{ d.slug }}">{{ d.name }}</a>
<span class="small">{{ d.products }}</span>
<span class="small">Products: {{ counts.get(d.id, 0) }}</span></li>{% endfor %}</ul>
{% endblock %}"""

templates = jinja2.Environment(
    loader=jinja2.DictLoader(
        {
            "layout.html": LAYOUT,
            "product.html": PRODUCT,
            "d.html": DISTRICT,
            "home.html": HOME,
            "state.html": STATE,
        }
    ),
    autoescape=True,
)
_pool: asyncpg.Pool | None = None
# key -> (expires at, value): the rows of the home and State pages, as the storefront's catalog
# cache holds them.
_cache: dict[str, tuple[float, Any]] = {}


async def cached(key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = await compute()
    _cache[key] = (now + float(os.environ.get("ODOP_REFERENCE_CACHE_SECONDS", "60")), value)
    return value


async def district_counts(connection: asyncpg.Connection) -> dict[int, tuple[int, int]]:
    async def compute() -> dict[int, tuple[int, int]]:
        rows = await connection.fetch(COUNTS_SQL)
        return {r["district_id"]: (r["state_id"], r["n"]) for r in rows}

    counts: dict[int, tuple[int, int]] = await cached("counts", compute)
    return counts


async def home(connection: asyncpg.Connection) -> str:
    async def compute() -> dict[str, Any]:
        counts = await district_counts(connection)
        by_state: dict[int, int] = {}
        for state_id, n in counts.values():
            by_state[state_id] = by_state.get(state_id, 0) + n
        states = [
            {"slug": r["slug"], "name": r["name"], "count": by_state.get(r["id"], 0)}
            for r in await connection.fetch(STATES_SQL)
        ]
        top = sorted(counts, key=lambda d: (-counts[d][1], d))[:8]
        districts = [
            {**dict(r), "count": counts[r["id"]][1]}
            for r in await connection.fetch(FEATURED_DISTRICTS_SQL, top)
        ]
        districts.sort(key=lambda d: (-d["count"], d["id"]))
        return {
            "states": states,
            "districts": districts,
            "gi": await connection.fetch(GI_COUNTS_SQL),
            "categories": await connection.fetch(CATEGORIES_SQL),
            "goods_classes": GOODS_CLASSES,
        }

    return templates.get_template("home.html").render(await cached("home", compute))


async def state(connection: asyncpg.Connection, slug: str) -> str | None:
    async def compute() -> tuple[asyncpg.Record | None, list[asyncpg.Record]]:
        row = await connection.fetchrow(STATE_SQL, slug)
        if row is None:
            return None, []
        return row, await connection.fetch(STATE_DISTRICTS_SQL, row["id"])

    row, districts = await cached(f"state:{slug}", compute)
    if row is None:
        return None
    counts = {d: n for d, (_, n) in (await district_counts(connection)).items()}
    return templates.get_template("state.html").render(s=row, districts=districts, counts=counts)


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
        if parts == [""]:
            return await home(connection)
        if len(parts) == 2 and parts[0] == "states":
            return await state(connection, parts[1])
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
    body = "ok" if path == "/healthz" else await page(path)
    await send(
        {
            "type": "http.response.start",
            "status": 200 if body is not None else 404,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": (body or "Not found").encode()})
