"""`registry card parse|read` and the access audit of a read."""
from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from registry_app.cli import main
from registry_app.devices.card import build_text_block
from registry_app.devices.readers import SimulatedReader
from registry_app.services.card_access import record_card_read
from registry_app.storage.models import AuditEntry

CARD = {"name": "王五", "sex": "2", "ethnicity": "11", "birth": "19920229", "address": "江苏省南京市鼓楼区",
        "id_number": "32010619920229002X", "authority": "南京市公安局鼓楼分局", "valid_from": "20120101",
        "valid_to": "20220101"}


def test_parse_prints_the_fields(tmp_path):
    path = tmp_path / "wz.bin"
    path.write_bytes(build_text_block(CARD))
    result = CliRunner().invoke(main, ["card", "parse", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["sex"], out["ethnicity"], out["birth_date"], out["valid_to"]) == ("F", "满族", "1992-02-29", "2022-01-01")


def test_parse_refuses_a_wrong_size_with_a_code(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"\x00" * 100)
    result = CliRunner().invoke(main, ["card", "parse", str(path)])
    assert result.exit_code == 2 and json.loads(result.output)["errors"][0]["code"] == "CARD_BLOCK_LENGTH"


def test_read_simulated(tmp_path):
    (tmp_path / "a.card").write_bytes(build_text_block(CARD))
    result = CliRunner().invoke(main, ["card", "read", "--simulated", str(tmp_path)])
    assert result.exit_code == 0 and json.loads(result.output)["name"] == "王五"


def test_a_read_is_audited_without_the_cards_contents(clerk_ctx, tmp_path):
    (tmp_path / "a.card").write_bytes(build_text_block(CARD))
    card = SimulatedReader(tmp_path).read_card()
    record_card_read(clerk_ctx, card, "simulated", "marriage")
    with clerk_ctx.db.read() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "card.read")).scalar_one()
    assert entry.username == "clerk" and entry.detail == {"document": "resident_id", "expired": True,
                                                          "purpose": "marriage"}
    assert "王五" not in json.dumps(entry.detail, ensure_ascii=False) + entry.entity_id


def test_training_samples_read_as_valid_cards(tmp_path):
    from registry_app.domain.ids import validate_document

    result = CliRunner().invoke(main, ["card", "samples", str(tmp_path / "cards"), "--count", "6"])
    assert result.exit_code == 0 and len(json.loads(result.output)["cards"]) == 6
    reader = SimulatedReader(tmp_path / "cards")
    cards = [reader.read_card() for _ in range(6)]
    assert [c.sex.value for c in cards] == ["M", "F"] * 3
    assert all(validate_document("resident_id", c.id_number) is None for c in cards)
    assert all(c.id_number[6:14] == f"{c.birth_date:%Y%m%d}" for c in cards)
