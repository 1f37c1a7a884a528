"""One email per step of a purchase order, to the parties it concerns, in each recipient's
language, sent by a durable job (app/procurement/purchase_orders/tasks.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import gettext as _
from app.jobs import enqueue

JOB_KIND = "procurement.po_email"

# Who hears of each step: the seller, and which roles of the buying organisation.
SELLER_STEPS = frozenset(
    {"issued", "cancelled", "received", "goods_accepted", "goods_rejected", "paid"}
)
ORGANISATION_STEPS = {
    "accepted": ("buyer",),
    "declined": ("buyer",),
    "partly_delivered": ("buyer", "consignee"),
    "delivered": ("buyer", "consignee"),
    "received": ("buyer",),
    "goods_accepted": ("buyer", "paying_authority"),
    "goods_rejected": ("buyer",),
    "invoiced": ("buyer", "paying_authority"),
    "paid": ("buyer",),
    "cancelled": ("consignee",),
}


def queue(session: AsyncSession, po_id: int, step: str) -> None:
    enqueue(session, JOB_KIND, {"purchase_order_id": po_id, "step": step})


def message(step: str, number: str) -> str:
    """The paragraph for a step, in the current language."""
    if step.startswith("incident:"):
        return _(
            "A deadline on purchase order %(number)s was missed (%(kind)s). The incident is "
            "recorded and visible to both sides and to the platform's administrators.",
            number=number,
            kind=step.partition(":")[2].replace("_", " "),
        )
    texts = {
        "issued": _("New purchase order %(number)s: please accept or decline it."),
        "accepted": _("The seller accepted purchase order %(number)s."),
        "declined": _("The seller declined purchase order %(number)s."),
        "cancelled": _("Purchase order %(number)s was cancelled by the buyer."),
        "partly_delivered": _("Part of purchase order %(number)s was delivered."),
        "delivered": _("Purchase order %(number)s is delivered: please record the receipt."),
        "received": _("The consignee provisionally received purchase order %(number)s."),
        "goods_accepted": _("The goods of purchase order %(number)s were accepted."),
        "goods_rejected": _("The goods of purchase order %(number)s were rejected."),
        "invoiced": _("The seller invoiced purchase order %(number)s: payment is due."),
        "paid": _("Payment of purchase order %(number)s is recorded."),
    }
    return texts.get(step, _("Purchase order %(number)s changed.")) % {"number": number}


def recipients_of(step: str) -> tuple[bool, tuple[str, ...]]:
    """(whether the seller is told, which organisation roles are told)."""
    if step.startswith("incident:"):
        return True, ("buyer", "consignee", "paying_authority", "org_admin")
    return step in SELLER_STEPS, ORGANISATION_STEPS.get(step, ())
