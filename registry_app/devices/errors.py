"""The reader's coded errors: a clerk reads out the message; nothing in one names the card's contents."""
from __future__ import annotations

from registry_app.errors import RegistryError


class CardError(RegistryError):
    """CARD_NO_READER, CARD_SDK_MISSING, CARD_NOT_FOUND, CARD_SELECT_FAILED, CARD_READ_FAILED,
    CARD_FRAME_INVALID, CARD_TIMEOUT, CARD_BLOCK_LENGTH, CARD_TEXT_INVALID, CARD_FIELD_INVALID,
    CARD_SIMULATED_EMPTY, CARD_EXPIRED."""

    code = "CARD_ERROR"

    def __init__(self, code: str, message: str, field: str | None = "card"):
        super().__init__(message, code=code, field=field)
