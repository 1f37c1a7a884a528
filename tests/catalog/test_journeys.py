"""The buyer's journeys of issue 14: district product cards, the GI index, seller pages, product
cards, export facts, stories edited by administrators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.reference.models import District, GiTag, GoodsClass, OdopProduct
from app.sellers.models import SellerMember, SellerStatus, SellerType
from tests import factories
from tests.catalog.conftest import Catalog
from tests.helpers import post_form

SignIn = Callable[[User], Awaitable[str]]


def odop_section(html: str) -> str:
    return html.split('id="odop-heading"', 1)[1].split('id="listings-heading"', 1)[0]


async def test_district_page_leads_with_odop_product_cards(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog
) -> None:
    firozabad = await factories.district(db)
    product = await db.scalar(select(OdopProduct).where(OdopProduct.district_id == firozabad.id))
    assert product is not None and catalog.glass_verified.odop_product_id == product.id
    html = (await client.get("/states/uttar-pradesh/firozabad")).text
    cards = odop_section(html)
    assert "What Firozabad makes" in html
    assert f"<h3>{product.name}</h3>" in cards
    # The best listing's photo: the GI-verified bangles, not the newer vase without a photo.
    assert 'src="/media/demo/bangles-thumb.jpg"' in cards
    # Price range and verified sellers of its public listings (the pending seller is verified
    # as a seller, only not for the GI, so it counts; the draft and the suspended do not).
    assert "₹845.00 to ₹2,500.00" in cards and "Verified sellers: 2" in cards
    if product.gi_tag_id is not None:
        assert 'class="badge badge-gi"' in cards and "Handicraft" in cards


async def test_district_without_listings_says_so(client: httpx.AsyncClient) -> None:
    html = (await client.get("/states/goa/south-goa")).text
    assert "No verified seller lists it yet." in odop_section(html)


async def test_gi_index_defaults_to_gis_with_listings_most_first(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/gi")).text
    assert 'href="/gi/firozabad-glass"' in html
    assert 'href="/gi/darjeeling-tea"' not in html  # nobody sells it here
    assert "Show all registered GIs" in html
    tea = (await client.get("/gi?show=all&state=west-bengal")).text
    assert 'href="/gi/darjeeling-tea"' in tea
    # Ordered by listings: the GI with a product comes before every GI without one, which
    # follow A-Z (Firozabad Glass would come after Banaras Brocades by name).
    everything = (await client.get("/gi?show=all&state=uttar-pradesh")).text
    grid = everything.split('<ul class="grid">', 1)[1]
    first = grid.split('href="/gi/', 1)[1].split('"', 1)[0]
    assert first == "firozabad-glass"
    assert grid.count('href="/gi/') > 20
    assert 'value="all"' in everything and "checked" in everything


async def test_gi_page_states_its_facts_without_repeating_the_class(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tea = await db.scalar(select(GiTag).where(GiTag.slug == "darjeeling-tea"))
    assert tea is not None and tea.goods_class == GoodsClass.AGRICULTURAL
    html = (await client.get("/gi/darjeeling-tea")).text
    assert "Agricultural (Agricultural)" not in html
    assert "Agricultural" in html and "West Bengal" in html
    if tea.source_serial_no:
        assert f"Serial number {tea.source_serial_no}" in html
    every_class = await db.scalars(select(GiTag).limit(400))
    for gi in every_class:
        if gi.goods_class_as_listed.lower() == gi.goods_class.value:
            page = (await client.get(f"/gi/{gi.slug}")).text
            assert f"({gi.goods_class_as_listed})" not in page
            break


async def test_seller_page_shows_a_verified_seller(
    client: httpx.AsyncClient, db: AsyncSession, catalog: Catalog
) -> None:
    firozabad = await factories.district(db)
    shg = await factories.seller(
        db, in_district=firozabad, display_name="Suhaag Mahila SHG", seller_type=SellerType.SHG
    )
    db.add(SellerMember(seller_id=shg.id, name="Rani Devi", craft="Bangles", show_publicly=True))
    db.add(SellerMember(seller_id=shg.id, name="Private Person", show_publicly=False))
    await factories.listing(db, shg, title="Lac bangles", slug="lac-bangles", moq=24)
    await db.commit()
    html = (await client.get(f"/sellers/{shg.slug}")).text
    assert "<h1>Suhaag Mahila SHG</h1>" in html
    assert "Self-help group" in html and "Firozabad" in html and "Verified since" in html
    assert "Rani Devi" in html and "Private Person" not in html
    assert "Lac bangles" in html and "Min. order 24" in html

    verified_owner = await db.get(type(shg), catalog.glass_verified.seller_id)
    assert verified_owner is not None
    gi_page = (await client.get(f"/sellers/{verified_owner.slug}")).text
    assert "GI authorisations" in gi_page and 'href="/gi/firozabad-glass"' in gi_page
    assert "Draft chandelier" not in gi_page


async def test_seller_page_is_a_404_for_unverified_sellers(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for status in (SellerStatus.DRAFT, SellerStatus.SUBMITTED, SellerStatus.SUSPENDED):
        seller = await factories.seller(db, status=status)
        await db.commit()
        assert (await client.get(f"/sellers/{seller.slug}")).status_code == 404
    assert (await client.get("/sellers/nobody-here")).status_code == 404


async def test_product_cards_show_seller_moq_and_unit(
    client: httpx.AsyncClient, catalog: Catalog
) -> None:
    html = (await client.get("/states/uttar-pradesh/firozabad")).text
    listings = html.split('id="listings-heading"', 1)[1]
    assert "Kanch Artisans" in listings and "Min. order 12" in listings
    assert "per piece" in listings
    assert 'href="/sellers/' in listings


async def test_admin_edits_district_and_product_stories(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)
    firozabad = await factories.district(db)
    product = await db.scalar(select(OdopProduct).where(OdopProduct.district_id == firozabad.id))
    assert product is not None
    listing_page = await client.get("/admin/stories?state=uttar-pradesh")
    assert f'href="/admin/stories/{firozabad.id}"' in listing_page.text
    form = await client.get(f"/admin/stories/{firozabad.id}")
    assert form.status_code == 200 and f'name="story_{product.id}"' in form.text
    too_long = await post_form(
        client, f"/admin/stories/{firozabad.id}", {"story": "x" * 1300, "story_hi": "कहानी"}
    )
    assert too_long.status_code == 422 and "कहानी" in too_long.text  # input kept
    saved = await post_form(
        client,
        f"/admin/stories/{firozabad.id}",
        {
            "story": "The glass city of India.",
            "story_hi": "भारत का काँच नगर।",
            f"story_{product.id}": "Bangles blown and drawn by hand.",
            f"story_hi_{product.id}": "हाथ से बनी चूड़ियाँ।",
        },
    )
    assert saved.status_code == 303
    client.cookies.clear()
    page = (await client.get("/states/uttar-pradesh/firozabad")).text
    assert "The glass city of India." in page and "Bangles blown and drawn by hand." in page
    hindi = (
        await client.get("/states/uttar-pradesh/firozabad", headers={"accept-language": "hi"})
    ).text
    assert "भारत का काँच नगर।" in hindi and "हाथ से बनी चूड़ियाँ।" in hindi
    refreshed = await db.scalar(
        select(District)
        .where(District.id == firozabad.id)
        .execution_options(populate_existing=True)
    )
    assert refreshed is not None and refreshed.story == "The glass city of India."


async def test_story_pages_are_for_administrators_only(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    firozabad = await factories.district(db)
    anonymous = await client.get(f"/admin/stories/{firozabad.id}")
    assert anonymous.status_code == 303 and "/account/sign-in" in anonymous.headers["location"]
    await sign_in(await factories.user(db))
    assert (await client.get("/admin/stories")).status_code == 403
    assert (await post_form(client, f"/admin/stories/{firozabad.id}", {})).status_code == 403
