"""Which reader this counter PC has: a small JSON file in the client's data folder (a machine setting,
not the office's: each counter has its own device). Set with `registry card setup`."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from registry_app.devices.errors import CardError
from registry_app.devices.readers import CardReader, open_reader
from registry_app.fsutil import write_atomic
from registry_app.paths import data_dir

KINDS = ("sdtapi", "termb", "serial", "simulated")


@dataclass(frozen=True)
class ReaderSetting:
    kind: str
    port: str = ""
    folder: str = ""

    def open(self) -> CardReader:
        return open_reader(self.kind, self.port, Path(self.folder) if self.folder else None)


def setting_path() -> Path:
    return data_dir() / "card_reader.json"


def load_setting(path: Path | None = None) -> ReaderSetting:
    """The configured reader, or CARD_NO_READER naming how to set one."""
    path = path or setting_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        setting = ReaderSetting(str(raw["kind"]), str(raw.get("port", "")), str(raw.get("folder", "")))
    except FileNotFoundError:
        raise CardError("CARD_NO_READER", "本机未设置读卡器：请管理员用 registry card setup 设置") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise CardError("CARD_NO_READER", "本机的读卡器设置文件已损坏：请管理员用 registry card setup 重新设置") from None
    if setting.kind not in KINDS:
        raise CardError("CARD_NO_READER", f"未知的读卡器类型：{setting.kind[:20]}")
    return setting


def save_setting(setting: ReaderSetting, path: Path | None = None) -> Path:
    if setting.kind not in KINDS:
        raise CardError("CARD_NO_READER", f"未知的读卡器类型：{setting.kind[:20]}")
    path = path or setting_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(asdict(setting), ensure_ascii=False).encode("utf-8"))
    return path
