"""A photo chosen from a file: the bytes are kept (the service stores them with the record), a
thumbnail shows what was picked. The file dialog is only opened by the button, so tests can hand a
file in directly with load_file()."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from registry_app.errors import Issue

MAX_PHOTO_BYTES = 10 * 1024 * 1024


class PhotoPicker(QWidget):
    changed = Signal()

    def __init__(self, button_text: str = "选择照片…", dialog_title: str = "选择照片",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.dialog_title = dialog_title
        self.data: bytes | None = None
        self.filename = ""
        self.button = QPushButton(button_text, self)
        self.button.setObjectName("choosePhoto")
        self.button.clicked.connect(self.choose)
        self.clear_button = QPushButton(self.tr("清除"), self)
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.setEnabled(False)
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(96, 68)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("border: 1px solid #b8c4d4; background: #f4f6f9; color: #777777;")
        self.thumb.setText(self.tr("未选择"))
        self.name = QLabel(self)
        self.name.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addLayout(buttons)
        side.addWidget(self.name)
        side.addWidget(self.error)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.thumb)
        row.addLayout(side, 1)
        self.setFocusProxy(self.button)

    def choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.dialog_title, "",
                                                    self.tr("图片 (*.jpg *.jpeg *.png)"))
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            if path.stat().st_size > MAX_PHOTO_BYTES:
                self.show_issue(Issue("PHOTO_TOO_LARGE", "照片文件超过10MB，请使用扫描或拍摄的原始尺寸照片"))
                return False
            data = path.read_bytes()
        except OSError:
            self.show_issue(Issue("PHOTO_UNREADABLE", "无法读取该文件"))
            return False
        return self.set_photo(data, path.name)

    def set_photo(self, data: bytes, filename: str) -> bool:
        pixmap = QPixmap()
        if not data or not pixmap.loadFromData(data):
            self.show_issue(Issue("PHOTO_NOT_IMAGE", "不是可识别的图片（应为JPEG或PNG）"))
            return False
        self.data, self.filename = data, filename
        self.thumb.setPixmap(pixmap.scaled(self.thumb.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
        self.name.setText(f"{filename}（{len(data) // 1024 or 1} KB）")
        self.clear_button.setEnabled(True)
        self.show_issue(None)
        self.changed.emit()
        return True

    def clear(self) -> None:
        self.data, self.filename = None, ""
        self.thumb.clear()
        self.thumb.setText(self.tr("未选择"))
        self.name.setText("")
        self.clear_button.setEnabled(False)
        self.show_issue(None)
        self.changed.emit()

    def show_issue(self, issue: Issue | None) -> None:
        self.error.setText(issue.message if issue else "")
        self.error.setVisible(issue is not None)

    def local_issue(self) -> Issue | None:
        return None
