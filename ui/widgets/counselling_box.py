"""婚姻家庭辅导 on the divorce application: whether it was offered and accepted, and the referral. Recorded
with the application; never a condition for accepting it (DivorceService decides nothing on it)."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

CHOICES = (("", "未告知", {"offered": False, "agreed": False}),
           ("declined", "已告知，当事人不接受", {"offered": True, "agreed": False}),
           ("agreed", "已告知，当事人接受", {"offered": True, "agreed": True}))


class CounsellingBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("婚姻家庭辅导", parent)
        self.offer = QComboBox()
        for key, text, _value in CHOICES:
            self.offer.addItem(text, key)
        self.referral = QLineEdit()
        self.referral.setMaxLength(200)
        self.referral.setPlaceholderText("转介的辅导机构（接受辅导时填写）")
        note = QLabel("告知与否、是否接受均不影响受理。")
        note.setObjectName("hint")
        form = QFormLayout(self)
        form.addRow("辅导", self.offer)
        form.addRow("转介", self.referral)
        form.addRow(note)
        self.offer.currentIndexChanged.connect(self._offer_changed)
        self._offer_changed()

    def _offer_changed(self) -> None:
        offered = self.offer.currentIndex() > 0
        self.referral.setEnabled(offered)
        if not offered:
            self.referral.clear()

    def value(self) -> dict:
        """What DivorceService.apply stores under "counselling"."""
        return {**CHOICES[self.offer.currentIndex()][2], "referral": self.referral.text().strip()}

    def clear(self) -> None:
        self.offer.setCurrentIndex(0)
        self.referral.clear()
