"""Ceremonies and group weddings: registered marriages only, each once, by record id; bad input changes
nothing; every step audited without names; the printed list and keepsakes carry the names from the records."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from registry_app.errors import NotFound, Refused
from registry_app.services.ceremonies import Ceremonies
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Ceremony, CeremonyCouple
from tests.factories import jpeg_photo, marriage_case, person

D = dt.date


def registered(ctx, man="张伟", woman="李娜") -> int:
    c = MarriageCase.from_dict(marriage_case(person(man, "M", D(1995, 3, 8)), person(woman, "F", D(1997, 11, 20))))
    c.photo = jpeg_photo()
    return MarriageService(ctx).register_case(c).record_id


def accepted_only(ctx) -> int:
    c = MarriageCase.from_dict(marriage_case(person("王强", "M", D(1990, 1, 2)), person("赵敏", "F", D(1992, 2, 3))))
    return MarriageService(ctx).accept(c)


def counts(ctx) -> tuple[int, int]:
    with ctx.db.read() as s:
        return (s.execute(select(func.count()).select_from(Ceremony)).scalar(),
                s.execute(select(func.count()).select_from(CeremonyCouple)).scalar())


def test_record_a_group_wedding_and_add_a_couple(clerk_ctx):
    first, second = registered(clerk_ctx), registered(clerk_ctx, "陈刚", "周丽")
    svc = Ceremonies(clerk_ctx)
    c = svc.add("group_wedding", D(2026, 8, 19), "市民中心婚礼堂", "刘主任", [first])
    assert (c.kind_zh, c.place, c.officiant, c.record_ids) == ("集体婚礼", "市民中心婚礼堂", "刘主任", [first])
    assert svc.add_couple(c.id, second).record_ids == [first, second]
    assert [v.id for v in svc.list(D(2026, 8, 1))] == [c.id] and svc.list(D(2026, 9, 1)) == []
    with clerk_ctx.db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action.like("ceremony.%"))
                            .order_by(AuditEntry.id)).scalars().all()
    assert [e.action for e in entries] == ["ceremony.add", "ceremony.add_couple"]
    text = json.dumps([e.detail for e in entries], ensure_ascii=False)
    assert not any(name in text for name in ("张伟", "李娜", "陈刚", "周丽", "刘主任"))   # no names in the audit


@pytest.mark.parametrize("kind, day, place, officiant, code", [
    ("party", D(2026, 8, 19), "婚礼堂", "刘主任", "CEREMONY_KIND_UNKNOWN"),
    ("ceremony", None, "婚礼堂", "刘主任", "CEREMONY_DATE_REQUIRED"),
    ("ceremony", "2026-08-19", "婚礼堂", "刘主任", "CEREMONY_DATE_REQUIRED"),
    ("ceremony", D(2026, 8, 19), "  ", "刘主任", "CEREMONY_FIELD_REQUIRED"),
    ("ceremony", D(2026, 8, 19), "婚礼堂", "", "CEREMONY_FIELD_REQUIRED"),
    ("ceremony", D(2026, 8, 19), "婚礼\n堂", "刘主任", "FIELD_CHARACTER_INVALID"),
    ("ceremony", D(2026, 8, 19), "堂" * 101, "刘主任", "FIELD_TOO_LONG"),
])
def test_bad_facts_refused_and_nothing_stored(clerk_ctx, kind, day, place, officiant, code):
    with pytest.raises(Refused) as e:
        Ceremonies(clerk_ctx).add(kind, day, place, officiant)
    assert code in {i.code for i in e.value.issues}
    assert counts(clerk_ctx) == (0, 0)


def test_only_registered_marriages_each_once(clerk_ctx):
    ok, pending = registered(clerk_ctx), accepted_only(clerk_ctx)
    svc = Ceremonies(clerk_ctx)
    for ids, code in (([pending], "CEREMONY_NOT_REGISTERED_MARRIAGE"), ([999999], "RECORD_NOT_FOUND"),
                      ([0], "RECORD_ID_INVALID"), (["1"], "RECORD_ID_INVALID"), ([True], "RECORD_ID_INVALID"),
                      ([ok, ok], "CEREMONY_COUPLE_TWICE")):
        with pytest.raises(Refused) as e:
            svc.add("ceremony", D(2026, 5, 20), "颁证厅", "刘主任", ids)
        assert code in {i.code for i in e.value.issues}, ids
    assert counts(clerk_ctx) == (0, 0)
    c = svc.add("ceremony", D(2026, 5, 20), "颁证厅", "刘主任", [ok])
    with pytest.raises(Refused) as e:
        svc.add_couple(c.id, ok)
    assert e.value.issues[0].code == "CEREMONY_COUPLE_TWICE"
    with pytest.raises(NotFound) as e:
        svc.add_couple(999999, ok)
    assert e.value.code == "CEREMONY_NOT_FOUND"
    assert counts(clerk_ctx) == (1, 1)


def test_print_reads_names_from_the_records(clerk_ctx):
    import io

    from pypdf import PdfReader

    a, b = registered(clerk_ctx), registered(clerk_ctx, "陈刚", "周丽")
    c = Ceremonies(clerk_ctx).add("ceremony", D(2026, 5, 20), "颁证厅", "刘主任", [a, b])
    reader = PdfReader(io.BytesIO(Ceremonies(clerk_ctx).print(c.id)))
    assert len(reader.pages) == 3        # the list, then one keepsake per couple
    pages = [p.extract_text() for p in reader.pages]
    assert "颁证仪式名单" in pages[0] and "张伟" in pages[0] and "周丽" in pages[0]
    assert "张伟" in pages[1] and "陈刚" not in pages[1] and "陈刚" in pages[2]
    assert len(PdfReader(io.BytesIO(Ceremonies(clerk_ctx).print(c.id, keepsakes=False))).pages) == 1


def test_ceremony_commands(clerk_ctx, db, db_path, tmp_path):
    from click.testing import CliRunner

    from registry_app.cli import main
    from tests.conftest import PASSPHRASE, PASSWORDS

    record = registered(clerk_ctx)
    db.close()

    def registry(*args):
        env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"]}
        return CliRunner().invoke(main, ["--db", str(db_path), *args, "--user", "clerk"], env=env,
                                  catch_exceptions=False)

    added = json.loads(registry("ceremony", "add", "--kind", "group_wedding", "--day", "2026-08-19",
                                "--place", "婚礼堂", "--officiant", "刘主任").output)
    assert added["record_ids"] == [] and added["kind_zh"] == "集体婚礼"
    assert json.loads(registry("ceremony", "add-couple", str(added["id"]), str(record)).output)["record_ids"] == [
        record]
    again = registry("ceremony", "add-couple", str(added["id"]), str(record))
    assert again.exit_code == 2 and json.loads(again.output)["errors"][0]["code"] == "CEREMONY_COUPLE_TWICE"
    assert [c["id"] for c in json.loads(registry("ceremony", "list").output)] == [added["id"]]
    out = tmp_path / "ceremony.pdf"
    assert registry("ceremony", "print", str(added["id"]), "--out", str(out)).exit_code == 0
    assert out.read_bytes()[:4] == b"%PDF"
    bad = registry("ceremony", "add", "--day", "2026-13-01", "--place", "x", "--officiant", "y")
    assert bad.exit_code == 2 and json.loads(bad.output)["errors"][0]["code"] == "DATE_INVALID"
