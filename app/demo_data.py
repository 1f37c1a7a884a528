"""The demo catalog: clearly marked demo sellers and listings derived from the ODOP list.

Every ODOP product gets at least one listing; ``listings`` scales the catalog up (100,000 for
benchmarks) with bulk inserts in batches, then ANALYZE. Images are drawn here with Pillow, once per
ODOP product and shared by all of its listings.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository as catalog_repository
from app.db import utcnow
from app.listings import sale_terms
from app.listings.models import Listing, ListingImage, ListingStatus, PriceTier
from app.listings.sale_models import SellerExportRate, SellerShipping
from app.rates import service as currency
from app.reference import repository as reference_repository
from app.reference.models import Category, District, OdopProduct
from app.sellers import repository as seller_repository
from app.sellers.models import ClaimStatus, Seller, SellerGiClaim, SellerStatus, SellerType
from app.storage import Storage
from app.text import slugify

BATCH = 2000
IMAGE_SIZE = (800, 600)
THUMB_SIZE = (400, 300)

# Rupee price range, HSN chapter and GST rate (basis points) by category.
PRICING: dict[str, tuple[int, int, str, int]] = {
    "textiles": (600, 18000, "5208", 500),
    "metal-craft": (450, 9000, "7418", 1200),
    "pottery-glass": (250, 6000, "6913", 1200),
    "wood-bamboo": (300, 12000, "4420", 1200),
    "jewellery": (900, 45000, "7113", 300),
    "leather": (500, 5000, "4202", 1200),
    "art-paintings": (800, 25000, "9701", 1200),
    "wellness": (200, 4000, "3303", 1800),
    "food-agri": (120, 1800, "2106", 500),
    "engineering": (400, 20000, "8479", 1800),
    "toys": (250, 3000, "9503", 1200),
    "services": (1500, 20000, "9985", 1800),
    "handicrafts": (300, 8000, "4602", 1200),
}
VARIANTS = (
    "Classic",
    "Handmade",
    "Heritage",
    "Festive",
    "Everyday",
    "Premium",
    "Gift set",
    "Small batch",
    "Traditional",
    "Contemporary",
    "Export quality",
    "Village made",
)
SELLER_TYPE_BY_CATEGORY = {
    "food-agri": (SellerType.FPO, SellerType.COOPERATIVE),
    "textiles": (SellerType.SHG, SellerType.COOPERATIVE, SellerType.ARTISAN),
    "engineering": (SellerType.MSME,),
    "services": (SellerType.MSME,),
}
SELLER_SUFFIX = {
    SellerType.ARTISAN: "Artisan Studio",
    SellerType.SHG: "Mahila Self-Help Group",
    SellerType.FPO: "Farmer Producer Company",
    SellerType.COOPERATIVE: "Cooperative Society",
    SellerType.MSME: "Enterprises",
}
# How a description names each seller type (never the internal enum value).
SELLER_KIND = {
    SellerType.ARTISAN: "artisan",
    SellerType.SHG: "women's self-help group",
    SellerType.FPO: "farmer producer organisation",
    SellerType.COOPERATIVE: "cooperative",
    SellerType.MSME: "small enterprise",
}
EXPORT_MARKETS = ["US", "GB", "AE", "DE", "FR", "CA", "AU", "SG", "NL", "JP"]
EXPORT_ZONE_RATES = {
    "south-asia": 900,
    "middle-east": 1400,
    "asia-pacific": 1900,
    "europe": 2200,
    "north-america": 2600,
}
# Unit of sale by category (others: piece).
UNIT_BY_CATEGORY = {"food-agri": "kg", "wellness": "pack", "textiles": "piece"}


@dataclass
class DemoReport:
    sellers: int = 0
    gi_claims: int = 0
    listings: int = 0
    images: int = 0


def _colour(seed: str) -> tuple[int, int, int]:
    value = zlib.crc32(seed.encode())
    return (90 + value % 140, 60 + (value >> 8) % 120, 40 + (value >> 16) % 100)


def draw_product_image(title: str, subtitle: str, size: tuple[int, int]) -> bytes:
    """A simple, recognisable placeholder photo: a coloured pattern with the product's name."""
    image = Image.new("RGB", size, _colour(title))
    draw = ImageDraw.Draw(image)
    width, height = size
    accent = tuple(min(255, c + 70) for c in _colour(subtitle))
    for i in range(0, width + height, max(24, width // 16)):
        draw.line([(i, 0), (i - height, height)], fill=accent, width=max(2, width // 100))
    draw.rectangle([0, height * 0.62, width, height], fill=(250, 246, 238))
    title_font = ImageFont.load_default(size=max(14, width // 20))
    small_font = ImageFont.load_default(size=max(11, width // 32))
    draw.text((width * 0.05, height * 0.66), title[:38], fill=(30, 28, 24), font=title_font)
    draw.text((width * 0.05, height * 0.82), subtitle[:48], fill=(90, 80, 70), font=small_font)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=78, optimize=True, progressive=True)
    return buffer.getvalue()


async def seed_demo(
    session: AsyncSession,
    storage: Storage,
    *,
    listings: int = 0,
    progress: Callable[[int, int], None] | None = None,
    commit_batches: bool = False,
) -> DemoReport:
    """Create demo sellers and listings until there are at least ``listings`` demo listings
    (and at least one per ODOP product). Running it again adds only what is missing.

    With ``commit_batches`` (the ``odop seed demo`` command) the sellers and then every batch of
    ``BATCH`` listings with their photos and bulk prices are committed as they are written, so a
    million listings never sit in one transaction, and a seed that was stopped goes on from the
    last committed batch when run again (each listing's slug follows its index)."""
    report = DemoReport()
    rng = random.Random(20261122)  # noqa: S311 - demo data, not security
    products = await catalog_repository.odop_products_for_demo(session)
    categories = {c.id: c for c in await reference_repository.all_rows(session, Category)}
    districts = {d.id: d for d in await reference_repository.all_rows(session, District)}
    sellers = await _ensure_sellers(session, products, categories, districts, report)
    await _ensure_demo_rates(session)
    if commit_batches:
        await session.commit()
    existing = await catalog_repository.count_demo_listings(session)
    target = max(listings, len(products))
    to_create = target - existing
    if to_create <= 0:
        return report
    images = _ensure_images(storage, products, districts, report)
    now = utcnow()
    created = 0
    while created < to_create:
        batch: list[dict[str, object]] = []
        for _ in range(min(BATCH, to_create - created)):
            index = existing + created + len(batch)
            product = products[index % len(products)]
            batch.append(_listing_values(rng, index, product, sellers, categories, districts, now))
        # A plain executemany, then one lookup of the new ids: much faster than RETURNING rows.
        await session.execute(insert(Listing), batch)
        slugs = [str(values["slug"]) for values in batch]
        id_of = await catalog_repository.listing_ids_by_slug(session, slugs)
        ids = [id_of[slug] for slug in slugs]
        await _insert_children(session, rng, ids, batch, products, existing + created, images)
        if commit_batches:
            await session.commit()
        created += len(batch)
        report.listings += len(batch)
        if progress:
            progress(created, to_create)
    await catalog_repository.refresh_planner_statistics(session)
    return report


DEMO_RATES = {"USD": "84.50", "EUR": "97.80", "GBP": "111.60", "AED": "23.00"}


async def _ensure_demo_rates(session: AsyncSession) -> None:
    """Illustrative rates so currency switching works out of the box; marked as demo data."""
    today = utcnow().date()
    if await currency.current_rates(session, today):
        return
    for code, value in DEMO_RATES.items():
        await currency.set_rate(
            session,
            code,
            Decimal(value),
            today,
            supported=list(DEMO_RATES),
            source="demo (illustrative, not a market rate)",
        )


async def _ensure_shipping(session: AsyncSession, sellers: list[Seller]) -> None:
    """Every demo seller ships: a flat rate per order part, free above an amount, and export
    rates per zone for the export-ready ones, so every demo listing can be bought."""
    have = await sale_terms.sellers_with_shipping(session, [s.id for s in sellers])
    for seller in sellers:
        if seller.id in have:
            continue
        session.add(
            SellerShipping(
                seller_id=seller.id,
                domestic_flat_paise=(60 + seller.id % 5 * 20) * 100,
                free_above_paise=(1500 + seller.id % 4 * 500) * 100,
                dispatch_days=1 + seller.id % 4,
            )
        )
        if seller.export_ready:
            for zone, rupees in EXPORT_ZONE_RATES.items():
                session.add(
                    SellerExportRate(seller_id=seller.id, zone_code=zone, rate_paise=rupees * 100)
                )
    await session.flush()


async def _ensure_sellers(
    session: AsyncSession,
    products: list[OdopProduct],
    categories: dict[int, Category],
    districts: dict[int, District],
    report: DemoReport,
) -> dict[int, Seller]:
    """One verified demo seller per district, typed to fit the district's product."""
    sellers = {s.district_id: s for s in await seller_repository.demo_sellers(session)}
    claims = await seller_repository.gi_claim_keys(session)
    now = utcnow()
    for product in products:
        district = districts[product.district_id]
        seller = sellers.get(district.id)
        if seller is None:
            category = (
                categories[product.category_id].slug if product.category_id else "handicrafts"
            )
            types = SELLER_TYPE_BY_CATEGORY.get(category, (SellerType.ARTISAN, SellerType.SHG))
            seller_type = types[district.id % len(types)]
            name = f"{district.name} {SELLER_SUFFIX[seller_type]}"
            seller = Seller(
                slug=f"demo-{slugify(name)}-{district.id}",
                legal_name=f"{name} (demo)",
                display_name=name,
                seller_type=seller_type,
                status=SellerStatus.VERIFIED,
                state_id=district.state_id,
                district_id=district.id,
                bio=f"Demo seller from {district.name}. Not a real business.",
                export_ready=district.id % 3 == 0,
                is_demo=True,
                verified_at=now,
            )
            session.add(seller)
            sellers[district.id] = seller
            report.sellers += 1
    await session.flush()
    await _ensure_shipping(session, list(sellers.values()))
    for product in products:
        seller = sellers[product.district_id]
        if product.gi_tag_id and (seller.id, product.gi_tag_id) not in claims:
            session.add(
                SellerGiClaim(
                    seller_id=seller.id,
                    gi_tag_id=product.gi_tag_id,
                    authorised_user_number=f"DEMO-AU-{seller.id:05d}-{product.gi_tag_id:04d}",
                    status=ClaimStatus.VERIFIED,
                    verified_at=now,
                )
            )
            claims.add((seller.id, product.gi_tag_id))
            report.gi_claims += 1
    await session.flush()
    return sellers


def _ensure_images(
    storage: Storage,
    products: list[OdopProduct],
    districts: dict[int, District],
    report: DemoReport,
) -> dict[int, tuple[str, str]]:
    keys = {}
    for product in products:
        key, thumb = f"demo/odop-{product.id}.jpg", f"demo/odop-{product.id}-thumb.jpg"
        if not storage.exists(thumb):
            subtitle = f"{districts[product.district_id].name} · ODOP"
            storage.save(key, draw_product_image(product.name, subtitle, IMAGE_SIZE))
            storage.save(thumb, draw_product_image(product.name, subtitle, THUMB_SIZE))
            report.images += 1
        keys[product.id] = (key, thumb)
    return keys


def _listing_values(
    rng: random.Random,
    index: int,
    product: OdopProduct,
    sellers: dict[int, Seller],
    categories: dict[int, Category],
    districts: dict[int, District],
    now: object,
) -> dict[str, object]:
    district = districts[product.district_id]
    seller = sellers[district.id]
    category = categories[product.category_id].slug if product.category_id else "handicrafts"
    low, high, hsn, gst = PRICING[category]
    variant = VARIANTS[(index // max(1, len(sellers))) % len(VARIANTS)] if index else "Classic"
    title = f"{product.name} – {variant}, from {district.name}"[:200]
    export_ready = seller.export_ready and category != "services"
    description = (
        f"{product.name} made in {district.name}, the One District One Product of the district. "
        f"Sold by {seller.display_name}, an invented {SELLER_KIND[seller.seller_type]}. "
        f"{'Carries the registered Geographical Indication. ' if product.gi_tag_id else ''}"
        "This is demo data: the seller, price and stock are invented for the demonstration."
    )
    return {
        "seller_id": seller.id,
        "slug": f"{slugify(title, max_length=150)}-d{index}",
        "title": title,
        "description": description,
        "status": ListingStatus.PUBLISHED,
        "state_id": district.state_id,
        "district_id": district.id,
        "category_id": product.category_id,
        "odop_product_id": product.id,
        "gi_tag_id": product.gi_tag_id,
        "price_paise": rng.randrange(low, high) * 100 + rng.choice((0, 0, 0, 50, 99)),
        "moq": rng.choice((1, 1, 1, 2, 5, 10)),
        "stock": rng.choice((0, 3, 12, 40, 120, 500)),
        "made_to_order": rng.random() < 0.15,
        "lead_time_days": rng.choice((2, 3, 5, 7, 14)),
        "sku": f"DEMO-{index:06d}",
        "hsn_code": hsn,
        "gst_rate_bp": gst,
        "unit_code": UNIT_BY_CATEGORY.get(category, "piece"),
        "weight_grams": rng.choice((250, 500, 800, 1200, 2500)),
        "export_ready": export_ready,
        "hs_code": f"{hsn}00" if export_ready else None,
        "ships_to": rng.sample(EXPORT_MARKETS, 4) if export_ready else [],
        "is_demo": True,
        "published_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def _insert_children(
    session: AsyncSession,
    rng: random.Random,
    ids: Sequence[int],
    batch: list[dict[str, object]],
    products: list[OdopProduct],
    first_index: int,
    images: dict[int, tuple[str, str]],
) -> None:
    image_rows, tier_rows = [], []
    for offset, (listing_id, values) in enumerate(zip(ids, batch, strict=True)):
        product = products[(first_index + offset) % len(products)]
        key, thumb = images[product.id]
        image_rows.append(
            {
                "listing_id": listing_id,
                "position": 0,
                "storage_key": key,
                "thumb_key": thumb,
                "width": IMAGE_SIZE[0],
                "height": IMAGE_SIZE[1],
                "alt": f"{product.name} (demo image)",
            }
        )
        price, moq = values["price_paise"], values["moq"]
        assert isinstance(price, int) and isinstance(moq, int)
        if rng.random() < 0.6:
            tier_rows.append(
                {
                    "listing_id": listing_id,
                    "min_quantity": max(10, moq * 5),
                    "price_paise": price * 92 // 100,
                }
            )
            tier_rows.append(
                {
                    "listing_id": listing_id,
                    "min_quantity": max(50, moq * 25),
                    "price_paise": price * 85 // 100,
                }
            )
    await session.execute(insert(ListingImage), image_rows)
    if tier_rows:
        await session.execute(insert(PriceTier), tier_rows)
