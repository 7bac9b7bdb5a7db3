"""Name search on PostgreSQL reads an index (revision 0014), whatever the database's collation.

In a database whose collation is not "C", `name LIKE '王伟%'` cannot use a b-tree index in the collation's
order; revision 0014 adds the name and initials with `varchar_pattern_ops`. Each variant makes a database
with one collation, fills it with a few thousand parties, and EXPLAINs the very statements the search
service sends (caught on the engine as it searches): no sequential scan of parties, and the prefix is an
index condition of one of the name indexes."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from registry_app.clock import FixedClock
from registry_app.domain.roles import Role
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.search import RecordSearch
from registry_app.storage.models import Base
from tests.factories import marriage_case, person
from tests.postgres.conftest import PASSWORDS, database_url, need_server, registry

pytestmark = pytest.mark.postgres
D = dt.date
PATTERN = {"name": "ix_parties_name_pattern", "initials": "ix_parties_initials_pattern"}
ORDERED = {"name": "ix_parties_name_date", "initials": "ix_parties_initials_date"}

# (id, the collation clause of CREATE DATABASE); a variant whose locale the server lacks is skipped.
COLLATIONS = [
    ("C", "LC_COLLATE 'C' LC_CTYPE 'C'"),
    ("C.UTF-8", "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"),
    ("en_US.UTF-8", "LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'"),
    ("zh_CN.UTF-8", "LC_COLLATE 'zh_CN.UTF-8' LC_CTYPE 'zh_CN.UTF-8'"),
    ("ICU zh-Hans-CN", "LOCALE_PROVIDER icu ICU_LOCALE 'zh-Hans-CN' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
SURNAME_INITIALS = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
                    "zhu", "hu", "guo", "he", "gao", "lin", "luo"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
GIVEN_INITIALS = "wfnmjlqljyyyjjtmcxxpgg"


@pytest.fixture(params=COLLATIONS, ids=[c[0] for c in COLLATIONS])
def collated_office(request):
    """(url, ctx with a clerk signed in, collation id) on a new database in the variant's collation."""
    admin_url = need_server()
    label, clause = request.param
    name = "names_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' {clause}"))
    except sa.exc.DBAPIError as exc:
        admin.dispose()
        if "locale" in str(exc.orig).lower() or "icu" in str(exc.orig).lower():
            pytest.skip(f"the server has no {label} locale ({str(exc.orig).splitlines()[0]})")
        raise
    url = database_url(admin_url, name)
    clock = FixedClock(D(2026, 6, 15))
    db = initialise(OfficeSetup("320102", "玄武区婚姻登记处", "", "admin", "王管理", PASSWORDS["admin"]), None, clock,
                    url=url)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    yield url, ctx, label
    db.close()
    with admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def fill(ctx: AppContext, records: int = 6000) -> None:
    """`records` registered marriages of two parties each, written in bulk (as an archive would be), then
    VACUUM ANALYZE so the planner knows the table (as autovacuum would soon after)."""
    with ctx.db.write() as s:
        s.execute(sa.text(
            "INSERT INTO records (uid, kind, status, office_code, registration_date, back_entered, data, created_by, "
            "created_at, updated_at) SELECT 'bulk-' || g, 'marriage', 'registered', '320102', "
            "DATE '2000-01-01' + (g % 9000), true, '{}', 'bulk', now(), now() FROM generate_series(1, :n) g"),
            {"n": records})
        s.execute(sa.text(
            "INSERT INTO parties (record_id, position, role, name, name_initials, id_type, nationality, data, "
            "registration_date) "
            "SELECT r.id, p, CASE p WHEN 1 THEN 'party1' ELSE 'party2' END, "
            "substr(:sur, (r.id * 7 + p) % 20 + 1, 1) || substr(:giv, (r.id * 13 + p * 5) % 22 + 1, 1) "
            "  || substr(:giv, (r.id * 3 + p) % 22 + 1, 1), "
            "(CAST(:sur_i AS text[]))[(r.id * 7 + p) % 20 + 1] || substr(:giv_i, (r.id * 13 + p * 5) % 22 + 1, 1) "
            "  || substr(:giv_i, (r.id * 3 + p) % 22 + 1, 1), "
            "'resident_id', '中国', '{}', r.registration_date "
            "FROM records r CROSS JOIN generate_series(1, 2) p WHERE r.uid LIKE 'bulk-%'"),
            {"sur": SURNAMES, "giv": GIVEN, "sur_i": SURNAME_INITIALS, "giv_i": GIVEN_INITIALS})
    with ctx.db.engine.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE records, parties")


def searched_statements(ctx: AppContext, query: str) -> list[tuple[str, dict]]:
    """The statements on parties with a LIKE the search service sends for `query`, with their parameters."""
    sent: list[tuple[str, dict]] = []

    def catch(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM parties" in statement and "LIKE" in statement:
            sent.append((statement, dict(parameters)))

    event.listen(ctx.db.engine, "before_cursor_execute", catch)
    try:
        page = RecordSearch(ctx).search(query, limit=20)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", catch)
    assert page.total_estimate > 0, query  # the query does find people, so the plan is the one a clerk meets
    return sent


def plan_nodes(ctx: AppContext, statement: str, parameters: dict) -> list[dict]:
    raw = ctx.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cur.fetchone()[0]
        raw.rollback()
    finally:
        raw.close()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


@pytest.mark.parametrize("query, kind", [("王伟", "name"), ("李", "name"), ("wangw", "initials")])
def test_the_name_search_reads_a_name_index_in_every_collation(collated_office, query, kind):
    _url, ctx, label = collated_office
    fill(ctx)
    statements = searched_statements(ctx, query)
    assert statements, "the search sent no prefix query on parties"
    for statement, parameters in statements:
        nodes = plan_nodes(ctx, statement, parameters)
        scans = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
        assert not [s for s in scans if s[0] == "Seq Scan" and s[1] == "parties"], (label, scans)
        used = {n.get("Index Name") for n in nodes if "Index Cond" in n}
        # the prefix is an index condition: the index is searched, not walked from its start
        assert PATTERN[kind] in used, (label, scans)


def test_pattern_indexes_exist_only_on_postgresql_and_the_schema_matches_the_models(pg_office):
    """On PostgreSQL the schema is the models' with the two pattern indexes in place of the two
    collation-ordered ones (the models describe the SQLite schema, which tests/integration compares)."""
    _url, db, _clock = pg_office
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        opclasses = conn.execute(sa.text(
            "SELECT i.relname, o.opcname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_opclass o ON o.oid = x.indclass[0] WHERE i.relname LIKE 'ix_parties_%_pattern'")).all()
        conn.rollback()
    assert sorted((d[0], d[1].name) for d in diff) == [("add_index", ORDERED["initials"]), ("add_index", ORDERED["name"]),
                                                       ("remove_index", PATTERN["initials"]),
                                                       ("remove_index", PATTERN["name"])]
    assert sorted(opclasses) == [(PATTERN["initials"], "varchar_pattern_ops"),
                                 (PATTERN["name"], "varchar_pattern_ops")]


def test_search_results_and_db_check_after_the_migration(pg_office):
    url, db, clock = pg_office
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    for man, woman, born in (("王伟", "李娜", D(1995, 3, 8)), ("王伟民", "赵敏", D(1990, 1, 1)),
                             ("张强", "王伟丽", D(1988, 5, 5))):
        case = marriage_case(person(man, "M", born), person(woman, "F", D(1997, 11, 20)))
        MarriageService(ctx).register_case(MarriageCase.from_dict(case))
    page = RecordSearch(ctx).search("王伟", limit=20)
    names = [[p["name"] for p in hit.parties] for hit in page.hits]
    assert page.total_estimate == 3
    assert names[0] == ["王伟", "李娜"]  # the exact name before the longer names it begins
    assert sorted(n for pair in names for n in pair if n.startswith("王伟")) == ["王伟", "王伟丽", "王伟民"]
    check = registry("--url", url, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
