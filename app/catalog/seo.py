"""What machines read: canonical URLs, sitemaps, robots.txt, schema.org Product JSON-LD."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.pages import ProductView
from app.config import Settings
from app.errors import NotFound
from app.inputs import MAX_INT, form_int
from app.money import BASE_CURRENCY

SITEMAP_LISTINGS = 50_000  # the sitemap protocol's limit of URLs per file
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def robots_txt(settings: Settings) -> str:
    return "\n".join(
        [
            "User-agent: *",
            "Disallow: /account/",
            "Disallow: /admin/",
            "Disallow: /preferences/",
            "Disallow: /api/",
            "Disallow: /search",
            f"Sitemap: {absolute(settings, '/sitemap.xml')}",
            "",
        ]
    )


async def sitemap_index(session: AsyncSession, settings: Settings) -> str:
    """An index of the place sitemap and one product sitemap per 50,000 listing ids."""
    parts = ["places"]
    parts += [
        f"products-{n}"
        for n in range(-(-(await repository.listing_id_bounds(session)) // SITEMAP_LISTINGS))
    ]
    entries = "".join(
        f"<sitemap><loc>{escape(absolute(settings, f'/sitemaps/{p}.xml'))}</loc></sitemap>"
        for p in parts
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>\n'
    )


def _urlset(urls: list[tuple[str, datetime | None]]) -> str:
    entries = "".join(
        f"<url><loc>{escape(loc)}</loc>"
        + (f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else "")
        + "</url>"
        for loc, modified in urls
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">{entries}</urlset>\n'
    )


async def sitemap_part(session: AsyncSession, settings: Settings, name: str) -> str:
    if name == "places":
        paths = ["/", "/gi"]
        paths += [f"/states/{slug}" for slug, _ in await repository.state_names(session)]
        paths += [f"/states/{s}/{d}" for s, d in await repository.district_paths(session)]
        paths += [f"/gi/{slug}" for slug, _ in await repository.gi_names(session)]
        paths += [f"/categories/{slug}" for slug, _ in await repository.category_names(session)]
        return _urlset([(absolute(settings, p), None) for p in paths])
    prefix, _, number = name.partition("-")
    part = form_int(number, high=MAX_INT // SITEMAP_LISTINGS)
    if prefix != "products" or part is None:
        raise NotFound("There is no such sitemap.")
    first = part * SITEMAP_LISTINGS + 1
    rows = await repository.public_listing_sitemap_rows(
        session, first, first + SITEMAP_LISTINGS - 1
    )
    return _urlset([(absolute(settings, f"/products/{slug}"), updated) for slug, updated in rows])


def product_json_ld(settings: Settings, listing: ProductView, *, gi_verified: bool) -> str:
    """schema.org Product with its offer, seller, place of origin and (when verified) its GI.

    Returned as a string safe to embed in a <script> element: ``<``, ``>`` and ``&`` are
    escaped as JSON unicode escapes, so nothing in it can close or confuse the element.
    """
    url = absolute(settings, f"/products/{listing.slug}")
    district = listing.district.name if listing.district else ""
    state = listing.state.name if listing.state else ""
    origin: dict[str, Any] = {
        "@type": "Place",
        "name": f"{district}, {state}, India",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": district,
            "addressRegion": state,
            "addressCountry": "IN",
        },
    }
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": listing.title,
        "description": listing.description[:5000],
        "url": url,
        "sku": listing.sku or str(listing.id),
        "brand": {"@type": "Brand", "name": listing.seller.display_name},
        "countryOfOrigin": {"@type": "Country", "name": "IN"},
        "countryOfAssembly": "IN",
        "additionalProperty": [],
        "offers": {
            "@type": "Offer",
            "url": url,
            "priceCurrency": BASE_CURRENCY,
            "price": f"{listing.price_paise // 100}.{listing.price_paise % 100:02d}",
            "availability": "https://schema.org/InStock"
            if listing.in_stock
            else "https://schema.org/OutOfStock",
            "eligibleQuantity": {"@type": "QuantitativeValue", "minValue": listing.moq},
            "seller": {"@type": "Organization", "name": listing.seller.display_name},
        },
        "locationCreated": origin,
    }
    if listing.images:
        data["image"] = [absolute(settings, f"/media/{i.storage_key}") for i in listing.images]
    if listing.category is not None:
        data["category"] = listing.category.name
    if listing.hs_code:
        data["additionalProperty"].append(
            {"@type": "PropertyValue", "name": "HS code", "value": listing.hs_code}
        )
    if gi_verified and listing.gi_tag is not None:
        data["additionalProperty"].append(
            {
                "@type": "PropertyValue",
                "name": "Geographical Indication",
                "value": listing.gi_tag.name,
                "url": absolute(settings, f"/gi/{listing.gi_tag.slug}"),
            }
        )
    if not data["additionalProperty"]:
        del data["additionalProperty"]
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
