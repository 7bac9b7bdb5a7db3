"""Revision 0006 on a database that already sent batches: every batch gets its chain hash (from the next
batch's prev_hash, the newest from the old `sync_last_batch` setting), all count as written, and the
next export chains on; downgrading puts the setting back."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from registry_app.storage.engine import open_database, plain_sqlite_url
from registry_app.storage.migrate import _config, current_revision, upgrade


def test_0006_fills_chain_hashes_and_downgrades_back(tmp_path):
    db = open_database(plain_sqlite_url(tmp_path / "m.db"), must_exist=False)
    upgrade(db, "0005")
    with db.engine.begin() as conn:
        for seq, prev in ((1, None), (2, "a" * 64), (3, "b" * 64)):
            conn.execute(text("INSERT INTO batches (batch_seq, business_date, file_name, file_hash, prev_hash, "
                              "event_count, created_at, created_by, acknowledged) VALUES (:s, '2026-06-15', :n, :f, "
                              ":p, 0, 'x', 'clerk', 0)"), {"s": seq, "n": f"b{seq}.rgb", "f": str(seq) * 64, "p": prev})
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('sync_last_batch', :v)"),
                     {"v": '{"batch_seq": 3, "chain_hash": "' + "c" * 64 + '", "key_id": "0011223344556677"}'})
    upgrade(db, "0006")
    assert current_revision(db) == "0006"
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT batch_seq, chain_hash, status, manifest_version, training FROM batches "
                                 "ORDER BY batch_seq")).all()
        assert [tuple(r) for r in rows] == [(1, "a" * 64, "written", 1, 0), (2, "b" * 64, "written", 1, 0),
                                            (3, "c" * 64, "written", 1, 0)]
        assert conn.execute(text("SELECT count(*) FROM settings WHERE key = 'sync_last_batch'")).scalar() == 0
        conn.rollback()
    with db.engine.begin() as conn:  # a pending batch is forgotten on the way down (no file, no events marked)
        conn.execute(text("INSERT INTO batches (batch_seq, business_date, file_name, file_hash, prev_hash, "
                          "event_count, created_at, created_by, acknowledged, status) VALUES (4, '2026-06-16', "
                          "'b4.rgb', :f, :p, 0, 'x', 'clerk', 0, 'pending')"), {"f": "4" * 64, "p": "c" * 64})
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        conn.commit()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT max(batch_seq) FROM batches")).scalar() == 3
        value = conn.execute(text("SELECT value FROM settings WHERE key = 'sync_last_batch'")).scalar()
        assert '"batch_seq": 3' in value and "c" * 64 in value
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(batches)"))}
        assert "status" not in columns and "chain_hash" not in columns
        conn.rollback()
    db.close()
