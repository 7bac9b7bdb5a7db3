"""Issue 20 through the services and the command line: a residence permit or permanent-residence card keyed
in as a resident ID no longer registers a marriage or an adoption at an office that is not province-designated;
at a designated office the case proceeds and the record keeps the document it really is."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from registry_app.cli import main
from registry_app.domain.gb11643 import check_character
from registry_app.errors import Refused
from registry_app.services.adoption import AdoptionService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.settings import load_settings, save_settings
from registry_app.storage.models import Party, Record
from tests.factories import marriage_case, person

ROOT = Path(__file__).resolve().parents[2]
D = dt.date


def gb(first17: str) -> str:
    return first17 + check_character(first17)


HK_PERMIT_F = gb("81000019971120002")    # Hong Kong resident, woman born 1997-11-20
PR_2023_F = gb("93184019971120002")      # US national accepted in Shanghai, woman born 1997-11-20


def designate(db, handles: bool) -> None:
    with db.write() as s:
        settings = load_settings(s)
        settings.handles_foreign_cases = handles
        save_settings(s, settings)


def case_with_wife(number: str) -> dict:
    return marriage_case(woman={**person("李娜", "F", D(1997, 11, 20)), "id_number": number})


@pytest.mark.parametrize("number, named", [(HK_PERMIT_F, "港澳台居民居住证"), (PR_2023_F, "外国人永久居留身份证")])
def test_marriage_at_an_office_not_designated_is_refused_naming_the_document(clerk_ctx, db, number, named):
    with pytest.raises(Refused) as err:
        MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case_with_wife(number)))
    issue = next(i for i in err.value.issues if i.code == "FOREIGN_CASE_NOT_HANDLED")
    assert named in issue.message
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() == 0


@pytest.mark.parametrize("number, stored", [(HK_PERMIT_F, "hmt_residence_permit"), (PR_2023_F, "foreign_pr_card")])
def test_marriage_at_a_designated_office_proceeds_as_the_document(clerk_ctx, db, number, stored):
    designate(db, True)
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case_with_wife(number)))
    assert result.certificate_no
    with db.read() as s:
        types = s.execute(select(Party.id_type).where(Party.record_id == result.record_id)
                          .order_by(Party.position)).scalars().all()
    assert types == ["resident_id", stored]


def _adoption_with(region: str) -> dict:
    """The example case with the wife (born 1990-09-17) holding a document of `region` (810000 / 931840)."""
    case = json.loads((ROOT / "resources" / "examples" / "adoption-case.json").read_text(encoding="utf-8"))
    case["adopters"][1]["id_number"] = gb(f"{region}19900917004")
    return case


def test_adoption_at_an_office_not_designated_is_refused_naming_the_document(clerk_ctx, db):
    with pytest.raises(Refused) as err:
        AdoptionService(clerk_ctx).register(_adoption_with("931840"))
    issue = next(i for i in err.value.issues if i.code == "FOREIGN_CASE_NOT_HANDLED")
    assert "外国人永久居留身份证" in issue.message and issue.field == "adopters[1].id_type"
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() == 0


def test_adoption_at_a_designated_office_proceeds_as_the_document(clerk_ctx, db):
    designate(db, True)
    result = AdoptionService(clerk_ctx).register(_adoption_with("810000"))
    with db.read() as s:
        types = s.execute(select(Party.id_type).where(Party.record_id == result["record_id"],
                                                      Party.role.like("adopter%"))).scalars().all()
    assert sorted(types) == ["hmt_residence_permit", "resident_id"]


# --- registry id check ------------------------------------------------------------------------------

def id_check(*args: str) -> tuple[int, dict]:
    r = CliRunner().invoke(main, ["id", "check", *args], catch_exceptions=False)
    return r.exit_code, json.loads(r.stdout)


@pytest.mark.parametrize(
    "number, document, fields",
    [
        ("11010519491231002X", "resident_id", {"birth_date": "1949-12-31", "sex": "F", "region_code": "110105",
                                               "province": "北京市"}),
        (HK_PERMIT_F, "hmt_residence_permit", {"birth_date": "1997-11-20", "sex": "F", "province": "香港"}),
        (gb("91184019850312001"), "foreign_pr_card_2023", {"birth_date": "1985-03-12", "sex": "M",
                                                           "province": "北京市"}),
        ("USA118512031234", "foreign_pr_card_2017", {"birth_date": "1985-12-03", "layout_verified": False}),
        ("E12345678", "passport", {"birth_date": None, "checked": ["shape"]}),
    ],
)
def test_id_check_names_the_document_and_what_it_reads(number, document, fields):
    code, out = id_check(number)
    assert code == 0 and out["valid"] is True and out["document"] == document
    assert {k: out[k] for k in fields} == fields


def test_id_check_reads_the_nationality_of_a_2023_card():
    _, out = id_check(gb("91184019850312001"))
    assert out["nationality"]["alpha3"] == "USA" and out["nationality"]["name"] == "美国"


@pytest.mark.parametrize(
    "args, code, document",
    [
        ((HK_PERMIT_F, "--type", "resident_id"), "ID_IS_RESIDENCE_PERMIT", "hmt_residence_permit"),
        ((PR_2023_F, "--type", "resident_id"), "ID_IS_PR_CARD", "foreign_pr_card_2023"),
        (("990426199112010074", "--type", "resident_id"), "ID_PROVINCE", "foreign_pr_card_2023"),
        (("11010519491231002X", "--type", "foreign_pr_card"), "ID_PR_PREFIX", "resident_id"),
        (("110105194912310021",), "ID_CHECK_CHAR", "resident_id"),
    ],
)
def test_id_check_refuses_with_a_code_and_exit_1(args, code, document):
    exit_code, out = id_check(*args)
    assert exit_code == 1 and out["valid"] is False
    assert (out["code"], out["document"]) == (code, document) and out["error"]


def test_id_check_reports_a_withdrawn_address_code_as_a_warning():
    exit_code, out = id_check(gb("11010320120101123"))
    assert exit_code == 0 and out["valid"] is True
    assert [w["code"] for w in out["warnings"]] == ["ID_REGION_ABOLISHED"]
