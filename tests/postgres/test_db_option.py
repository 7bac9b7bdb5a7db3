"""`--db` takes a file path only: a database URL given there is refused, naming `--url`, and nothing is
created (it used to become a local file in a folder named "postgresql+psycopg:")."""
from __future__ import annotations

import json
import os

import pytest

from registry_app.errors import StorageError
from registry_app.storage.engine import open_database, sqlcipher_url
from tests.postgres.conftest import registry

URLS = [
    "postgresql+psycopg://registry@dbhost/registry",
    "postgresql://registry@127.0.0.1:5432/office",
    "postgres://dbhost/office",
    "sqlite:///office.db",
    "file:///srv/office.db",
    " postgresql+psycopg://dbhost/office",
]


@pytest.mark.parametrize("value", URLS)
@pytest.mark.parametrize("command", [["init", "--office-code", "320102", "--office-name", "某登记处", "--admin", "a"],
                                     ["db", "check"], ["audit", "verify"]])
def test_a_url_given_to_db_is_refused_and_nothing_is_created(tmp_path, value, command):
    done = registry("--db", value, *command, cwd=tmp_path,
                    env={"REGISTRY_PASSPHRASE": "pass phrase 1234", "REGISTRY_ADMIN_PASSWORD": "Root-pass-2026",
                         "REGISTRY_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 2, done.stderr
    errors = json.loads(done.stdout)["errors"]
    assert [e["code"] for e in errors] == ["DB_PATH_IS_URL"]
    assert "--url" in errors[0]["message"]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("value", ["office.db", "data/office.db", "办公室:备份.db", "./c:/x.db", "C://office.db"])
def test_a_file_path_is_not_taken_for_a_url(tmp_path, value):
    done = registry("--db", value, "audit", "verify", cwd=tmp_path, env={"REGISTRY_PASSPHRASE": "pass phrase 1234"})
    assert done.returncode == 3
    assert [e["code"] for e in json.loads(done.stdout)["errors"]] == ["DB_NOT_FOUND"]


def test_the_engine_refuses_a_url_folded_into_a_path(tmp_path, monkeypatch):
    # What a Path makes of the URL ("://" folded to ":/"), e.g. from the client's own file dialog or code.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StorageError) as err:
        open_database(sqlcipher_url("postgresql+psycopg:/registry@dbhost/registry", "x"), must_exist=False)
    assert err.value.code == "DB_PATH_IS_URL"
    assert os.listdir(tmp_path) == []
