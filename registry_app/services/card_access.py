"""A card read is an access to personal data: audited (who, which reader, which kind of document),
never its contents, and never logged."""
from __future__ import annotations

from registry_app.devices.card import CardData
from registry_app.services import audit
from registry_app.services.context import AppContext


def record_card_read(ctx: AppContext, card: CardData, reader_kind: str, purpose: str = "") -> None:
    with ctx.db.write() as s:
        audit.record(ctx, s, "card.read", "card_reader", reader_kind,
                     {"document": card.document.value, "expired": card.expired(ctx.clock.today()),
                      "purpose": purpose})
