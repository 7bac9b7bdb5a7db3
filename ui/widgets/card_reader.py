"""读卡 (F9): fills a party form from the ID card on the reader, off the GUI thread.

The party is the form holding the keyboard focus, else the first whose name is still empty. The
fields the card filled are remembered: a later typed change to one of them is flagged beside the
button (the clerk must mean it: the card is the document). An expired card is said at once. The
read is audited as an access (services.card_access); the card's contents are never logged.

A form is a PartyForm, or any form (QGroupBox) exposing `name`, a `changed` signal and the three card
methods: `fill_from_card(card)` → what it filled, by field, as shown; `card_values()` → those fields as
they show now; `card_slots()` → where each is flagged. `card_documents`, if set, are the kinds of
document it can hold (another is said, not filled)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from registry_app.devices.card import CardData
from registry_app.devices.readers import DEFAULT_TIMEOUT, CardReader
from registry_app.domain.id_types import IdType
from ui import background
from ui.errors import present_error
from ui.widgets.party_form import LABELS, PartyForm

CardForm = QWidget   # a PartyForm or a form with the card methods (see above)

CARD_FIELDS = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "residence")


def _configured_reader() -> CardReader:
    from registry_app.devices.config import load_setting

    return load_setting().open()


def card_values(card: CardData) -> dict[str, str]:
    """What the card puts in each form field, as the form shows it."""
    return {"name": card.name, "id_type": card.document.value, "id_number": card.id_number,
            "sex": card.sex.value, "birth_date": card.birth_date.isoformat(), "ethnicity": card.ethnicity,
            "residence": card.address}


def form_values(form: PartyForm) -> dict[str, str]:
    p = form.person()
    return {"name": p.name, "id_type": p.id_type, "id_number": p.id_number, "sex": p.sex,
            "birth_date": p.birth_date.isoformat() if p.birth_date else form.birth_date.text().strip(),
            "ethnicity": p.ethnicity, "residence": p.residence}


class CardReading(QWidget):
    def __init__(self, app_state, forms: list[CardForm], parent: QWidget | None = None, *,
                 open_reader: Callable[[], CardReader] = _configured_reader, purpose: str = "",
                 timeout: float = DEFAULT_TIMEOUT):
        super().__init__(parent)
        self.state = app_state
        self.forms = forms
        self.open_reader = open_reader
        self.purpose = purpose
        self.timeout = timeout
        self.from_card: dict[int, dict[str, str]] = {}   # form index → what the card filled
        self.operation: background.BackgroundOperation | None = None
        self.button = QPushButton("读卡 (F9)")
        self.button.setObjectName("readCard")
        self.button.setToolTip("把身份证放在读卡器上，读入当前一方（光标所在或姓名为空的一方）")
        self.button.clicked.connect(self.read)
        self.status = QLabel("")
        self.status.setObjectName("cardStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.photo = QLabel()
        self.photo.setObjectName("cardPhoto")
        self.photo.setFixedSize(51, 63)   # half the card photo's 102×126
        self.photo.hide()
        row.addWidget(self.button)
        row.addWidget(self.photo)
        row.addWidget(self.status, 1)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F9), parent or self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.read)
        for form in forms:
            form.changed.connect(self.refresh_flags)

    # --- which party ---------------------------------------------------------------------------
    def target(self) -> int:
        for i, form in enumerate(self.forms):
            if form.isAncestorOf(self.focusWidget() or self.window().focusWidget() or self):
                return i
        for i, form in enumerate(self.forms):   # a form the case does not show is not filled unseen
            if not form.name.text().strip() and form.isVisibleTo(form.window()):
                return i
        return 0

    # --- reading -------------------------------------------------------------------------------
    def read(self) -> None:
        if self.operation is not None or not self.button.isEnabled() or not self.isEnabled():
            return
        index = self.target()
        self.button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(f"正在读取{self.forms[index].title()}的身份证…")
        open_reader, timeout = self.open_reader, self.timeout

        def work(_report, _cancelled):
            reader = open_reader()
            try:
                return reader.kind, reader.read_card(timeout=timeout)
            finally:
                reader.close()

        op = background.BackgroundOperation(work, prompter=self.state.prompter, title="读卡")
        op.signals.succeeded.connect(lambda result: self._read(index, *result))
        op.signals.failed.connect(self._failed)
        op.signals.finished.connect(self._finished)
        self.operation = background.start(op)

    def _finished(self) -> None:
        self.operation = None
        self.button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("未读到身份证")
        present_error(self.state.prompter, exc, "读卡")

    def _read(self, index: int, kind: str, card: CardData) -> None:
        from registry_app.services.card_access import record_card_read

        try:
            record_card_read(self.state.ctx, card, kind, self.purpose)
        except Exception as exc:  # noqa: BLE001 — not audited, so not shown
            present_error(self.state.prompter, exc, "读卡")
            return
        form = self.forms[index]
        if isinstance(form, PartyForm):
            values = self._fill_party(form, card)
        elif card.document not in getattr(form, "card_documents", (card.document,)):
            self._show_photo(b"")
            self.status.setStyleSheet("color:#b00020;")
            self.status.setText(f"{form.title()}只能读入{'、'.join(d.zh for d in form.card_documents)}，"
                                f"读到的是{card.document.zh}，未读入")
            return
        else:
            values = form.fill_from_card(card)
        self.from_card[index] = values
        photo_note = self._show_photo(card.photo_wlt)
        if card.expired(self.state.ctx.clock.today()):
            self.status.setStyleSheet("color:#b00020;")
            self.status.setText(f"{form.title()}的身份证已过期（有效期至{card.valid_to:%Y年%m月%d日}），"
                                "不能作为有效身份证件")
        else:
            self.status.setText(f"已从身份证读入{form.title()}：{card.name}{photo_note}")
        self.refresh_flags()

    @staticmethod
    def _fill_party(form: PartyForm, card: CardData) -> dict[str, str]:
        values = card_values(card)
        person = dataclasses.replace(form.person(), name=card.name, id_type=card.document.value,
                                     id_number=card.id_number, sex=card.sex.value, birth_date=card.birth_date,
                                     ethnicity=card.ethnicity, residence=card.address)
        if card.document is IdType.FOREIGN_PR and card.nationality:
            person = dataclasses.replace(person, nationality=card.nationality)
        form.set_person(person)
        form.touched.update(CARD_FIELDS)
        return values

    def _show_photo(self, wlt: bytes) -> str:
        """The card photo through the vendor's decoder where installed; otherwise say why there is none."""
        from registry_app.devices.photo import decode_wlt

        bmp = decode_wlt(wlt) if wlt else None
        pixmap = QPixmap()
        if bmp and pixmap.loadFromData(bmp):
            self.photo.setPixmap(pixmap.scaled(self.photo.size(), Qt.AspectRatioMode.KeepAspectRatio))
            self.photo.show()
            return ""
        self.photo.hide()
        return "（证件照片需读卡器厂商的解码库，本机未安装，未显示）" if wlt else ""

    # --- a typed change to a card-read field ---------------------------------------------------
    def changed_fields(self, index: int) -> list[str]:
        read = self.from_card.get(index)
        if not read:
            return []
        form = self.forms[index]
        now = form_values(form) if isinstance(form, PartyForm) else form.card_values()
        return [key for key in read if now[key] != read[key]]

    def refresh_flags(self) -> None:
        notes = []
        for index, form in enumerate(self.forms):
            changed = self.changed_fields(index)
            slots = {k: form.slots[k] for k in CARD_FIELDS} if isinstance(form, PartyForm) else form.card_slots()
            for key, slot in slots.items():
                slot.setProperty("cardChanged", key in changed)
                slot.setToolTip("与身份证读取的不同" if key in changed else "")
                target = getattr(slot, "edit", None) or getattr(slot, "widget", None)
                if target is not None:   # a changed card field stands out where the clerk looks
                    target.setStyleSheet("background:#fff1dc;" if key in changed else "")
            if changed:
                notes.append(f"{form.title()}的" + "、".join(LABELS[k] for k in changed))
        if notes:
            self.status.setStyleSheet("color:#b35c00;")
            self.status.setText("注意：" + "；".join(notes) + " 已改动，与身份证读取的不同")

    def forget(self) -> None:
        """A new case: nothing is from the card any more."""
        self.from_card.clear()
        self.photo.clear()
        self.photo.hide()
        self.status.setText("")
        self.status.setStyleSheet("")
        self.refresh_flags()
