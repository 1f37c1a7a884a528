"""JSON shapes of the seller API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ListingIn(BaseModel):
    """A listing as the API accepts it; prices are in rupees as text ("1250.50") or paise."""

    title: str = Field(max_length=200)
    price_paise: int = Field(ge=100, le=10**10)
    description: str = Field(default="", max_length=5000)
    title_hi: str | None = Field(default=None, max_length=200)
    description_hi: str | None = Field(default=None, max_length=5000)
    category_id: int | None = None
    odop_product_id: int | None = None
    gi_tag_id: int | None = None
    member_id: int | None = None
    moq: int = Field(default=1, ge=1, le=100_000)
    stock: int = Field(default=0, ge=0, le=10_000_000)
    made_to_order: bool = False
    lead_time_days: int = Field(default=3, ge=0, le=365)
    sku: str | None = Field(default=None, max_length=64)
    hsn_code: str | None = Field(default=None, max_length=8)
    gst_rate: int = 0
    weight_grams: int | None = None
    dimensions_mm: str | None = Field(default=None, max_length=20)
    export_ready: bool = False
    hs_code: str | None = Field(default=None, max_length=10)
    ships_to: list[str] = Field(default_factory=list, max_length=250)
    price_tiers: dict[int, int] = Field(
        default_factory=dict, description="minimum quantity -> unit price in paise"
    )

    def as_text(self) -> dict[str, str]:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        return {
            "title": self.title,
            "title_hi": text(self.title_hi),
            "description": self.description,
            "description_hi": text(self.description_hi),
            "price_inr": f"{self.price_paise // 100}.{self.price_paise % 100:02d}",
            "category_id": text(self.category_id),
            "odop_product_id": text(self.odop_product_id),
            "gi_tag_id": text(self.gi_tag_id),
            "member_id": text(self.member_id),
            "moq": str(self.moq),
            "stock": str(self.stock),
            "made_to_order": "yes" if self.made_to_order else "",
            "lead_time_days": str(self.lead_time_days),
            "sku": text(self.sku),
            "hsn_code": text(self.hsn_code),
            "gst_rate": str(self.gst_rate),
            "weight_grams": text(self.weight_grams),
            "dimensions_mm": text(self.dimensions_mm),
            "export_ready": "yes" if self.export_ready else "",
            "hs_code": text(self.hs_code),
            "ships_to": ",".join(self.ships_to),
            "price_tiers": ",".join(
                f"{q}:{p // 100}.{p % 100:02d}" for q, p in sorted(self.price_tiers.items())
            ),
        }
