"""The one way the client shows an error, on every page and for every background operation.

A RegistryError is shown with its Chinese message and its code (the clerk reads the message out, the
help desk asks for the code); a Refused lists every reason. Anything else is a defect: the clerk sees
"内部错误" and nothing of the exception's text, which may hold a name or an ID number, and the log gets
only the exception's type, file and line.
"""
from __future__ import annotations

import html
import logging
import os
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtWidgets import QWidget

from registry_app.diagnostics import record_defect
from registry_app.errors import Refused, RegistryError
from ui.prompts import Prompter

log = logging.getLogger("registry.ui")

INTERNAL_ERROR = "内部错误，操作未完成。请记下时间并联系技术支持（详情已写入日志，不含个人信息）"


def where(exc: BaseException) -> str:
    """Type, file and line of the innermost frame: enough to find the defect, no data from the call."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {os.path.basename(last.filename)}:{last.lineno} in {last.name}"


def error_lines(exc: BaseException) -> list[str]:
    """What the clerk reads: one line per reason, each with its code."""
    if isinstance(exc, RegistryError):
        return [f"{i.message}（{i.code}）" for i in exc.issues]
    log.error("unexpected error: %s", where(exc))
    return [INTERNAL_ERROR]


def error_text(exc: BaseException) -> str:
    """One line for a status label or the message beside a form."""
    return "；".join(error_lines(exc))


def present_error(target: Prompter | QWidget | None, exc: BaseException, title: str = "未能完成") -> None:
    """Show `exc` in a dialog: through the page's Prompter (tests record it), or over a widget.
    The Chinese message is the headline; each code follows in small grey type, for the help desk."""
    prompter = target if isinstance(target, Prompter) else Prompter(target)
    if not isinstance(exc, RegistryError):
        prompter.warn(title, error_lines(exc)[0])
        return
    bullet = "· " if isinstance(exc, Refused) and len(exc.issues) > 1 else ""
    messages = "<br/>".join(f"{bullet}{html.escape(i.message)}" for i in exc.issues)
    codes = "、".join(dict.fromkeys(i.code for i in exc.issues))
    prompter.warn(title, f'<p style="font-size:16px;">{messages}</p>'
                         f'<p style="color:#8a94a3; font-size:12px;">错误代码：{html.escape(codes)}</p>')


# --- the application-wide hook --------------------------------------------------------------------------

_prompter: Prompter | None = None


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    try:
        # The log file gets the type and code places under a reference; the clerk gets the reference.
        reference = record_defect(exc, "the application hook")
        if isinstance(exc, RegistryError):
            present_error(_prompter, exc, f"发生错误（参考编号 {reference}）")
        else:
            (_prompter or Prompter(None)).warn("发生错误", uncaught_text(reference))
    except Exception:  # noqa: BLE001 — the hook must never raise; the log still has the defect's place
        log.error("could not present an error: %s", where(exc))


def uncaught_text(reference: str) -> str:
    return f"{INTERNAL_ERROR}\n参考编号：{reference}"


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    # A worker thread must not open a dialog: log it only; BackgroundOperation reports its own.
    if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
        record_defect(args.exc_value, f"thread {args.thread.name if args.thread else '?'}")


def install_excepthook(prompter: Prompter | None = None) -> None:
    """An exception escaping a Qt slot would otherwise be printed with its text (personal data) or,
    with some Qt builds, abort the client: present it like any other error instead."""
    global _prompter
    _prompter = prompter
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


__all__ = ["INTERNAL_ERROR", "error_lines", "error_text", "install_excepthook", "present_error", "uncaught_text",
           "where"]
