"""The joint service (婚育户一件事): what each department is sent, read from data, not written in code.

`resources/joint_service/requests-v1.json` names, per request type, its department, the record kinds it
follows, the persons and fields the department receives and what the clerk keys in for it. The field
lists are the project's reading of Fujian's and Sichuan's published procedures (RULES.md, *unverified*),
so a province that publishes its interface changes the file, not this module. Pure functions: the
service reads the record and hands its facts in.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from registry_app.errors import Issue
from registry_app.resources import resources_dir

# What a field in the data file may name: the builder knows how to read each one, nothing else.
RECORD_FIELDS = {"record_kind", "certificate_no", "registration_date", "office_code"}
PERSON_FIELDS = {"name", "id_type", "id_number", "residence", "marital_status_after"}
DETAIL_TYPES = {"party", "text", "phone", "count"}
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
DEPARTMENTS_ZH = {"public_security": "公安机关", "health": "卫生健康部门"}


@dataclass(frozen=True)
class RequestType:
    key: str
    zh: str
    event_type: str
    department: str
    department_zh: str
    record_kinds: tuple[str, ...]
    record_fields: tuple[str, ...]
    persons: tuple[str, ...]
    person_fields: tuple[str, ...]
    details: dict
    follow_up: str

    def fields_zh(self) -> str:
        """What is passed on, in words a clerk reads out to the couple."""
        names = {"name": "姓名", "id_type": "身份证件类型", "id_number": "身份证件号码", "residence": "户籍地址",
                 "marital_status_after": "变更后的婚姻状况", "certificate_no": "证书编号",
                 "registration_date": "登记日期", "record_kind": "登记类别", "office_code": "登记机关代码"}
        parts = [names[f] for f in self.person_fields] + [names[f] for f in self.record_fields if f != "office_code"]
        parts += [spec["zh"] for key, spec in self.details.items() if spec["type"] != "party"]
        return "、".join(dict.fromkeys(parts))


@lru_cache(maxsize=1)
def request_types() -> dict[str, RequestType]:
    raw = json.loads((resources_dir() / "joint_service" / "requests-v1.json").read_text(encoding="utf-8"))
    out = {}
    for key, r in raw["requests"].items():
        if not set(r["record_fields"]) <= RECORD_FIELDS or not set(r["person_fields"]) <= PERSON_FIELDS:
            raise ValueError(f"joint request {key}: unknown field in the data file")
        if any(spec["type"] not in DETAIL_TYPES for spec in r["details"].values()):
            raise ValueError(f"joint request {key}: unknown detail type")
        out[key] = RequestType(key, r["zh"], r["event_type"], r["department"], r["department_zh"],
                               tuple(r["record_kinds"]), tuple(r["record_fields"]), tuple(r["persons"]),
                               tuple(r["person_fields"]), dict(r["details"]), r["follow_up"])
    return out


def event_types() -> dict[str, RequestType]:
    return {t.event_type: t for t in request_types().values()}


def read_details(rtype: RequestType, given: object) -> tuple[dict, list[Issue]]:
    """The clerk's input for one request, checked field by field (unknown keys refused)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return {}, [Issue("JOINT_DETAILS_INVALID", "补充信息应为键值对象", "details")]
    issues: list[Issue] = []
    out: dict = {}
    for key in sorted(set(given) - set(rtype.details)):
        issues.append(Issue("JOINT_DETAIL_UNKNOWN", f"“{rtype.zh}”不需要“{str(key)[:20]}”一项", f"details.{str(key)[:20]}"))
    for key, spec in rtype.details.items():
        value, where = given.get(key), f"details.{key}"
        if value in (None, ""):
            if spec.get("required"):
                issues.append(Issue("JOINT_DETAIL_MISSING", f"请填写{spec['zh']}", where))
            continue
        if spec["type"] == "party":
            if isinstance(value, bool) or value not in (1, 2):
                issues.append(Issue("JOINT_DETAIL_INVALID", f"{spec['zh']}应为男方（1）或女方（2）", where))
                continue
        elif spec["type"] == "count":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= spec["max"]:
                issues.append(Issue("JOINT_DETAIL_INVALID", f"{spec['zh']}应为0至{spec['max']}的整数", where))
                continue
        else:
            if not isinstance(value, str):
                issues.append(Issue("JOINT_DETAIL_INVALID", f"{spec['zh']}应为文字", where))
                continue
            value = value.strip()
            if not value or len(value) > spec["max"] or _CONTROL.search(value):
                issues.append(Issue("JOINT_DETAIL_INVALID", f"{spec['zh']}应为不超过{spec['max']}字的一行文字", where))
                continue
            if spec["type"] == "phone" and not _PHONE.match(value):
                issues.append(Issue("JOINT_DETAIL_INVALID", f"{spec['zh']}格式不正确", where))
                continue
        out[key] = value
    return out, issues


def marital_status_after(record_kind: str) -> str:
    return {"marriage": "married", "divorce": "divorced"}[record_kind]


def build_payload(rtype: RequestType, request_uid: str, record: dict, parties: list[dict], details: dict) -> dict:
    """The event data for one request: the request's id, its department, and only the fields the data file
    lists. `record` holds record_kind, certificate_no, registration_date, office_code; each party name,
    id_type, id_number, residence."""
    data: dict = {"request_id": request_uid, "department": rtype.department}
    for f in rtype.record_fields:
        data[f] = record[f]
    if rtype.persons == ("mover", "host"):
        mover = details["mover"]
        chosen = [("mover", parties[mover - 1]), ("host", parties[2 - mover])]
    else:
        chosen = list(zip(rtype.persons, parties))
    persons = []
    for role, p in chosen:
        person = {"role": role}
        for f in rtype.person_fields:
            person[f] = marital_status_after(record["record_kind"]) if f == "marital_status_after" else p.get(f)
        persons.append(person)
    data["persons"] = persons
    for key, spec in rtype.details.items():
        if spec["type"] != "party" and key in details:
            data[key] = details[key]
    return data


__all__ = ["DEPARTMENTS_ZH", "RequestType", "build_payload", "event_types", "marital_status_after", "read_details",
           "request_types"]
