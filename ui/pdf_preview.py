"""PDF pages on screen and on paper.

`render_pages` turns PDF pages into QImages with pdfium (usable on a worker thread: QImage, unlike
QPixmap, is not tied to the GUI thread; one lock keeps pdfium single-threaded). `PdfPreview` shows
them fitted to the view's width (zoom and whole-page fit on request) with page navigation; a
document of several pages is rendered through ui.background. `paint_pdf` prints at the printer's own resolution and at actual
size, with the page origin at the paper's corner, so a printer calibration measured in millimetres
stays true.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import pypdfium2 as pdfium
from PySide6.QtCore import QEvent, QMarginsF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QPalette, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from registry_app.operations import Progress
from ui.background import BackgroundOperation, start
from ui.errors import error_text

PDFIUM_LOCK = threading.Lock()   # pdfium is not thread-safe: one document at a time
SCREEN_DPI = 144.0
_FORMATS = {"RGBX": QImage.Format.Format_RGBX8888, "RGBA": QImage.Format.Format_RGBA8888,
            "RGB": QImage.Format.Format_RGB888, "L": QImage.Format.Format_Grayscale8,
            "BGRX": QImage.Format.Format_RGB32, "BGRA": QImage.Format.Format_ARGB32}


class PdfError(Exception):
    pass


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points."""
    with PDFIUM_LOCK:
        doc = _open(pdf)
        try:
            return [tuple(doc[i].get_size()) for i in range(len(doc))]
        finally:
            doc.close()


def _open(pdf: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise PdfError(f"无法读取PDF：{exc}") from None


def _to_image(page: pdfium.PdfPage, dpi: float) -> QImage:
    bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True, prefer_bgrx=True)
    fmt = _FORMATS.get(bitmap.mode)
    if fmt is None:
        raise PdfError(f"不支持的像素格式：{bitmap.mode}")
    image = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt).copy()
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    return image


def render_pages(pdf: bytes, dpi: float = SCREEN_DPI, *, pages: list[int] | None = None,
                 progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> list[QImage]:
    """Render the PDF's pages (all, or the given indexes) to images at `dpi`."""
    out: list[QImage] = []
    with PDFIUM_LOCK:
        doc = _open(pdf)
        try:
            wanted = list(range(len(doc))) if pages is None else pages
            for n, index in enumerate(wanted):
                if cancelled is not None and cancelled():
                    break
                out.append(_to_image(doc[index], dpi))
                if progress is not None:
                    progress(n + 1, len(wanted), "预览")
        finally:
            doc.close()
    return out


BAND_PX = 1024   # pages are printed in bands, so a page at 1200 dpi never needs one huge image


def _render_band(pdf: bytes, index: int, dpi: float, top_px: int, band_px: int) -> QImage:
    """Rows top_px .. top_px + band_px of a page rendered at `dpi`."""
    with PDFIUM_LOCK:
        doc = _open(pdf)
        try:
            page = doc[index]
            height_pt = page.get_height()
            top_pt = top_px * 72.0 / dpi
            bottom_pt = max(0.0, height_pt - (top_px + band_px) * 72.0 / dpi)
            bitmap = page.render(scale=dpi / 72.0, crop=(0, bottom_pt, 0, top_pt), rev_byteorder=True,
                                 prefer_bgrx=True)
            fmt = _FORMATS[bitmap.mode]
            return QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt).copy()
        finally:
            doc.close()


def paint_pdf(printer, pdf: bytes, *, progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> int:
    """Print every page of `pdf` on a QPrinter at actual size: each page is rendered at the printer's
    resolution and painted from the paper's top-left corner; the paper size follows the PDF page.
    Returns the number of pages painted."""
    sizes = page_sizes(pdf)
    if not sizes:
        return 0
    printer.setFullPage(True)

    def set_page(size: tuple[float, float]) -> None:
        w, h = size
        orientation = QPageLayout.Orientation.Landscape if w > h else QPageLayout.Orientation.Portrait
        page_size = QPageSize(QSizeF(min(w, h), max(w, h)), QPageSize.Unit.Point, "",
                              QPageSize.SizeMatchPolicy.ExactMatch)
        printer.setPageLayout(QPageLayout(page_size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point))

    set_page(sizes[0])
    painter = QPainter()
    if not painter.begin(printer):
        raise PdfError("打印机无法开始打印，请检查打印机")
    done = 0
    try:
        for index, (w_pt, h_pt) in enumerate(sizes):
            if cancelled is not None and cancelled():
                break
            if index:
                set_page((w_pt, h_pt))
                printer.newPage()
            dpi = float(printer.resolution())
            # device pixels = points / 72 * printer dpi: actual size, never "fit to page"
            height_px = round(h_pt / 72.0 * dpi)
            for top in range(0, height_px, BAND_PX):
                band = _render_band(pdf, index, dpi, top, min(BAND_PX, height_px - top))
                painter.drawImage(QRectF(0, top, band.width(), band.height()), band)
            done += 1
            if progress is not None:
                progress(done, len(sizes), "送往打印机")
    finally:
        painter.end()
    return done


ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.1, 3.0   # of the rendered image (SCREEN_DPI): 3.0 magnifies small print further
FIT_WIDTH, FIT_PAGE, FIXED = "width", "page", "fixed"


class PdfPreview(QWidget):
    """Pages of a PDF, one at a time with 上一页/下一页. Fitted to the view's width by default (small print
    must be readable without a click); 整页 fits the whole page; 放大/缩小 (Ctrl+= / Ctrl+-, or Ctrl+wheel)
    zoom in steps, and the page scrolls when it is larger than the view."""

    rendered = Signal(int)        # page count, once the pages are ready
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, dpi: float = SCREEN_DPI):
        super().__init__(parent)
        self.dpi = dpi
        self.images: list[QImage] = []
        self.index = 0
        self.fit = FIT_WIDTH
        self.factor = 1.0             # image pixels -> logical pixels, as last shown
        self._generation = 0
        self._operation: BackgroundOperation | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.prev_button = QPushButton("上一页")
        self.next_button = QPushButton("下一页")
        self.page_label = QLabel("")
        self.page_label.setObjectName("previewPageLabel")
        self.prev_button.clicked.connect(lambda: self.show_page(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self.index + 1))
        self.zoom_out_button = QPushButton("缩小")
        self.zoom_out_button.setToolTip("缩小（Ctrl+-，或按住Ctrl滚动滚轮）")
        self.zoom_in_button = QPushButton("放大")
        self.zoom_in_button.setToolTip("放大（Ctrl+=，或按住Ctrl滚动滚轮）")
        self.fit_width_button = QPushButton("适合宽度")
        self.fit_page_button = QPushButton("整页")
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("previewZoomLabel")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_width_button.clicked.connect(lambda: self.set_fit(FIT_WIDTH))
        self.fit_page_button.clicked.connect(lambda: self.set_fit(FIT_PAGE))
        for keys, slot in ((("Ctrl+=", "Ctrl++"), self.zoom_in), (("Ctrl+-",), self.zoom_out),
                           (("Ctrl+0",), lambda: self.set_fit(FIT_WIDTH))):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_width_button,
                  self.fit_page_button):
            bar.addWidget(w)
        layout.addLayout(bar)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(False)   # the page keeps its size; the view scrolls over it
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setBackgroundRole(QPalette.ColorRole.Dark)
        self.scroll.setStyleSheet("QScrollArea { background: #8a8f96; }")
        self.scroll.viewport().setStyleSheet("background: #8a8f96;")
        self.scroll.viewport().installEventFilter(self)
        self.canvas = QLabel("尚无预览")
        self.canvas.setObjectName("previewCanvas")
        self.canvas.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas.setStyleSheet("background: #8a8f96; color: white;")
        self.scroll.setWidget(self.canvas)
        layout.addWidget(self.scroll, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._update_buttons()

    # --- loading ------------------------------------------------------------------------------

    def clear(self, text: str = "尚无预览") -> None:
        self._generation += 1
        self._cancel_running()
        self.images = []
        self.index = 0
        self.canvas.clear()
        self.canvas.setText(text)
        self.canvas.adjustSize()
        self._update_buttons()

    def set_pdf(self, pdf: bytes) -> None:
        """Show a PDF. One page is rendered at once; several are rendered off the GUI thread."""
        self._generation += 1
        generation = self._generation
        self._cancel_running()
        try:
            count = len(page_sizes(pdf))
        except PdfError as exc:
            self.clear(str(exc))
            self.failed.emit(str(exc))
            return
        if count <= 1:
            self._show_images(render_pages(pdf, self.dpi), generation)
            return
        self.canvas.clear()
        self.canvas.setText("正在生成预览……")
        self.canvas.adjustSize()
        operation = BackgroundOperation(lambda report, cancelled: render_pages(
            pdf, self.dpi, progress=report, cancelled=cancelled))
        operation.signals.succeeded.connect(lambda images, g=generation: self._show_images(images, g))
        operation.signals.failed.connect(lambda exc, g=generation: self._failed(exc, g))
        self._operation = operation
        start(operation)

    def busy(self) -> bool:
        return self._operation is not None

    def _cancel_running(self) -> None:
        if self._operation is not None:
            self._operation.cancel()
            self._operation = None

    def _show_images(self, images: list[QImage], generation: int) -> None:
        if generation != self._generation:
            return   # an older document finished after a newer one was asked for
        self._operation = None
        self.images = list(images)
        self.show_page(0)
        self.rendered.emit(len(self.images))

    def _failed(self, exc: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        self._operation = None
        text = error_text(exc)  # a defect's text may hold a name: the presenter's wording instead
        self.clear("无法生成预览：" + text)
        self.failed.emit(text)

    # --- showing ------------------------------------------------------------------------------

    def page_count(self) -> int:
        return len(self.images)

    def current_pixmap(self) -> QPixmap | None:
        pixmap = self.canvas.pixmap()
        return None if pixmap is None or pixmap.isNull() else pixmap

    def show_page(self, index: int) -> None:
        if not self.images:
            self._update_buttons()
            return
        self.index = max(0, min(index, len(self.images) - 1))
        self._scale()
        self._update_buttons()

    # --- zoom ---------------------------------------------------------------------------------

    def set_fit(self, fit: str) -> None:
        """FIT_WIDTH (the default) or FIT_PAGE; the fit follows the window as it is resized."""
        self.fit = fit
        self._scale()
        self._update_buttons()

    def zoom_in(self) -> None:
        self._zoom_to(self.factor * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_to(self.factor / ZOOM_STEP)

    def _zoom_to(self, factor: float) -> None:
        self.fit = FIXED
        self.factor = max(ZOOM_MIN, min(factor, ZOOM_MAX))
        self._scale()
        self._update_buttons()

    def percent(self) -> int:
        """The page on screen against its printed size (100 = as large as on paper)."""
        return round(self.factor * self.dpi / max(1.0, self.logicalDpiX()) * 100)

    def _fitted_factor(self, image: QImage) -> float:
        bar = self.scroll.verticalScrollBar().sizeHint().width()
        width = max(50, self.scroll.contentsRect().width() - bar - 16)
        height = max(50, self.scroll.contentsRect().height() - 16)
        if self.fit == FIT_PAGE:
            return min(width / image.width(), height / image.height())
        return width / image.width()

    def _scale(self) -> None:
        if not self.images:
            return
        image = self.images[self.index]
        if self.fit != FIXED:
            self.factor = max(ZOOM_MIN, min(self._fitted_factor(image), ZOOM_MAX))
        ratio = self.devicePixelRatioF()
        w, h = round(image.width() * self.factor), round(image.height() * self.factor)
        scaled = image.scaled(round(w * ratio), round(h * ratio), Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        self.canvas.setPixmap(pixmap)
        self.canvas.resize(w, h)

    def _update_buttons(self) -> None:
        n = len(self.images)
        self.prev_button.setEnabled(n > 1 and self.index > 0)
        self.next_button.setEnabled(n > 1 and self.index < n - 1)
        self.page_label.setText(f"第 {self.index + 1} / {n} 页" if n else "")
        for button in (self.zoom_in_button, self.zoom_out_button, self.fit_width_button, self.fit_page_button):
            button.setEnabled(bool(n))
        self.zoom_in_button.setEnabled(bool(n) and self.factor < ZOOM_MAX)
        self.zoom_out_button.setEnabled(bool(n) and self.factor > ZOOM_MIN)
        self.zoom_label.setText(f"{self.percent()}%" if n else "")

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 — Qt naming
        # Ctrl+wheel over the page zooms, as in every document viewer; a plain wheel scrolls.
        if obj is self.scroll.viewport() and event.type() == QEvent.Type.Wheel \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier and self.images:
            delta = event.angleDelta().y()
            if delta:
                (self.zoom_in if delta > 0 else self.zoom_out)()
            return True
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._scale()
