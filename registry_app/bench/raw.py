"""Raw DB-API connections for the benchmark's baselines: sqlcipher3 (or sqlite3 for the plain copy) on a
file, psycopg on PostgreSQL. One small interface, so each baseline is written once:

    execute(sql, params) -> cursor (fetchone, fetchall, description)   `?` placeholders with a tuple;
                                                                        a captured statement as it ran
    executemany(sql, rows); begin(); commit(); insert(table, row) -> new id; close()

Both connections are in autocommit mode, so every transaction a baseline times is explicit."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class RawSqlite:
    dialect = "sqlite"

    def __init__(self, path: Path, passphrase: str | None):
        if passphrase is None:
            import sqlite3

            self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        else:
            import sqlcipher3

            self.conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.conn.execute(f"PRAGMA key = {sql_literal(passphrase)}")
            self.conn.execute("PRAGMA cipher_log_level = NONE")
        # the pragmas the engine sets (storage/engine.py)
        for pragma in ("foreign_keys = ON", "busy_timeout = 10000", "temp_store = MEMORY", "secure_delete = ON"):
            self.conn.execute(f"PRAGMA {pragma}")

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows) -> None:
        self.conn.executemany(sql, rows)

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")  # as Database.write does

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def insert(self, table: str, row: dict) -> int:
        cols = [c for c in row if c != "id"]
        cur = self.conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [row[c] for c in cols])
        return cur.lastrowid

    def delete_copies(self, ids: list[int]) -> None:
        # Nothing refers to the copies; with foreign keys on, SQLite would scan every table whose reference to
        # records has no index once per deleted row.
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            _delete(self, ids)
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()


class RawPostgres:
    """psycopg 3 on the URL the benchmark measures (the SQLAlchemy driver name is dropped)."""

    dialect = "postgresql"

    def __init__(self, url: str):
        import psycopg
        from psycopg.types.json import JsonDumper
        from sqlalchemy.engine import make_url

        parsed = make_url(url).set(drivername="postgresql")
        self.conn = psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)
        # json columns come back as dicts and lists; they go back in as json, not as arrays
        self.conn.adapters.register_dumper(dict, JsonDumper)
        self.conn.adapters.register_dumper(list, JsonDumper)

    @staticmethod
    def _sql(sql: str, params) -> str:
        # the baselines' own statements use `?` with a tuple; a captured statement arrives as it ran
        if isinstance(params, Mapping) or not params:
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params=()):
        return self.conn.execute(self._sql(sql, params), params or None)

    def executemany(self, sql: str, rows) -> None:
        rows = list(rows)
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(sql, rows[0] if rows else ()), rows)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def insert(self, table: str, row: dict) -> int:
        cols = [c for c in row if c != "id"]
        cur = self.conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "
                                "RETURNING id", [row[c] for c in cols])
        return cur.fetchone()[0]

    def delete_copies(self, ids: list[int]) -> None:
        _delete(self, ids)  # every reference to records is indexed on PostgreSQL: no scans

    def close(self) -> None:
        self.conn.close()


def _delete(conn, ids: list[int]) -> None:
    if not ids:
        return
    conn.begin()
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        marks = ", ".join("?" * len(part))
        conn.execute(f"DELETE FROM certificates WHERE record_id IN ({marks})", tuple(part))
        conn.execute(f"DELETE FROM parties WHERE record_id IN ({marks})", tuple(part))
        conn.execute(f"DELETE FROM records WHERE id IN ({marks})", tuple(part))
    conn.commit()


def raw_connect(path: Path | None, passphrase: str | None, url: str | None = None):
    """The raw connection for a benchmark database: the URL's server, else the (encrypted) file."""
    return RawPostgres(url) if url else RawSqlite(path, passphrase)
