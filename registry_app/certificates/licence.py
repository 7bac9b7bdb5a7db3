"""The electronic licence identifier of GB/T 36903 (电子证照标识):

    1.2.156.3005.2.<type code>.<issuer code>.<serial>.<3-digit version>.<check character>

The check character is ISO 7064 MOD 37,36 over type code + issuer code + serial + version, written without
the dots (python-stdnum's implementation; the tests check it against a published identifier and a worked
example by hand). Type codes come from the national licence catalogue; the issuer code is the registry
authority's 18-character unified social credit code. Both are set by the administrator
(`registry certificate electronic-settings`): the client does not guess them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.iso7064 import mod_37_36

from registry_app.errors import RegistryError

ARC = "1.2.156.3005.2"
_CODE = re.compile(r"^[0-9A-Z]{1,40}$")
_SERIAL = re.compile(r"^[0-9A-Z]{1,40}$")


def check_character(type_code: str, issuer_code: str, serial: str, version: str) -> str:
    return mod_37_36.calc_check_digit(type_code + issuer_code + serial + version)


@dataclass(frozen=True)
class LicenceId:
    type_code: str
    issuer_code: str
    serial: str
    version: int

    def __post_init__(self) -> None:
        for value, what in ((self.type_code, "证照类型代码"), (self.issuer_code, "颁证单位代码"),
                            (self.serial, "证照序列号")):
            if not _CODE.match(value or ""):
                raise RegistryError(f"{what}“{value}”应为1至40位数字或大写字母", code="LICENCE_ID_INVALID")
        if not 1 <= self.version <= 999:
            raise RegistryError("证照版本号应在001至999之间", code="LICENCE_ID_INVALID")

    @property
    def version_text(self) -> str:
        return f"{self.version:03d}"

    @property
    def check(self) -> str:
        return check_character(self.type_code, self.issuer_code, self.serial, self.version_text)

    def __str__(self) -> str:
        return f"{ARC}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version_text}.{self.check}"


def parse_licence_id(text: str) -> LicenceId:
    """Parse and check an identifier; LICENCE_ID_INVALID when the shape or the check character is wrong."""
    parts = (text or "").split(".")
    if len(parts) != 10 or ".".join(parts[:5]) != ARC or not re.fullmatch(r"\d{3}", parts[8]):
        raise RegistryError(f"电子证照标识格式不正确：{text}", code="LICENCE_ID_INVALID")
    licence = LicenceId(parts[5], parts[6], parts[7], int(parts[8]))
    if licence.check != parts[9]:
        raise RegistryError(f"电子证照标识校验位不符：应为{licence.check}", code="LICENCE_ID_INVALID")
    return licence


def serial_of(certificate_number: str) -> str:
    """The certificate number with everything outside 0-9A-Z removed (J320102-2026-000123 -> J3201022026000123):
    MOD 37,36 is defined over digits and capital letters only."""
    serial = re.sub(r"[^0-9A-Z]", "", (certificate_number or "").upper())
    if not _SERIAL.match(serial):
        raise RegistryError(f"证书编号“{certificate_number}”无法作为证照序列号", code="LICENCE_ID_INVALID")
    return serial


def issuer_code_problem(code: str) -> str | None:
    """None when `code` is a valid unified social credit code (GB 32100), else the reason in Chinese."""
    if not code or not uscc.is_valid(code):
        return "应为18位统一社会信用代码（含正确校验位）"
    return None
