"""TLS to the server: `sslmode=verify-full` with the office's CA certificate. A throwaway CA and server
certificate are made here, and a second throwaway server (build/scripts/test-postgres.sh with
REGISTRY_TEST_PG_SSL_DIR) accepts TCP connections over TLS only."""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.postgres.conftest import ROOT, need_server, registry

pytestmark = pytest.mark.postgres
SCRIPT = ROOT / "build" / "scripts" / "test-postgres.sh"


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_ca(folder: Path, label: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(label)).issuer_name(_name(label))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / f"{label}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_server_cert(folder: Path, ca_key, ca_cert, host: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (folder / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    os.chmod(folder / "server.key", 0o600)


@pytest.fixture(scope="module")
def tls_server():
    """(port, folder with office-ca.crt and other-ca.crt) of a server that takes TLS connections only."""
    need_server()
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("no PostgreSQL server binaries")
    certs = Path(tempfile.mkdtemp(prefix="registry-pg-certs."))
    ca_key, ca_cert = make_ca(certs, "office-ca")
    make_ca(certs, "other-ca")
    make_server_cert(certs, ca_key, ca_cert, "localhost")
    data = tempfile.mkdtemp(prefix="registry-pg-tls.")
    env = {**os.environ, "REGISTRY_TEST_PG_SSL_DIR": str(certs),
           "REGISTRY_TEST_PG_PORT": str(int(re.search(r":(\d+)/", need_server()).group(1)) + 1)}
    started = subprocess.run(["bash", str(SCRIPT), "start", data], check=False, env=env, capture_output=True, text=True,
                             timeout=300)
    assert started.returncode == 0, started.stderr
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", started.stdout).group(1))
    yield port, certs
    subprocess.run(["bash", str(SCRIPT), "stop", data], check=False, capture_output=True, timeout=120)
    shutil.rmtree(certs, ignore_errors=True)


def url(port: int, database: str, **query: str) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"postgresql+psycopg://registry@localhost:{port}/{database}?hostaddr=127.0.0.1&{params}"


def test_verify_full_with_the_office_ca_connects_encrypted(tls_server):
    port, certs = tls_server
    good = {"sslmode": "verify-full", "sslrootcert": str(certs / "office-ca.crt")}
    admin = sa.create_engine(url(port, "postgres", **good), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text("CREATE DATABASE office_tls"))
    admin.dispose()
    office = url(port, "office_tls", **good)
    done = registry("--url", office, "init", "--office-code", "320102", "--office-name", "玄武区婚姻登记处",
                    "--admin", "admin", env={"REGISTRY_ADMIN_PASSWORD": "Root-pass-2026"})
    assert done.returncode == 0, done.stdout + done.stderr
    check = registry("--url", office, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    engine = sa.create_engine(office)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar() is True
    engine.dispose()


@pytest.mark.parametrize("query, why, said", [
    ({"sslmode": "verify-full", "sslrootcert": "other-ca.crt"}, "a server certificate from another CA",
     "未通过核验"),
    ({"sslmode": "verify-full", "sslrootcert": "office-ca.crt", "host": "127.0.0.1"},
     "the right CA, but the certificate names another host", "证书上的主机名与 URL 中的主机名 127.0.0.1 不符"),
    ({"sslmode": "disable"}, "no TLS: the server turns it away", "只接受加密连接"),
], ids=["other-ca", "wrong-host", "plain"])
def test_anything_less_is_refused_before_any_data(tls_server, query, why, said):
    port, certs = tls_server
    if "sslrootcert" in query:
        query = {**query, "sslrootcert": str(certs / query["sslrootcert"])}
    target = url(port, "postgres", **query)
    if "host" in query:  # connect by address: the name checked is "127.0.0.1", the certificate says localhost
        target = target.replace("@localhost:", "@127.0.0.1:").replace("&host=127.0.0.1", "")
    done = registry("--url", target, "audit", "verify")
    assert done.returncode == 3, (why, done.stdout, done.stderr)
    errors = json.loads(done.stdout)["errors"]
    assert [e["code"] for e in errors] == ["DB_OPEN_FAILED"], why
    assert said in errors[0]["message"], (why, errors)  # in Chinese: psycopg's English goes to the log only
    assert "failed" not in errors[0]["message"] and "FATAL" not in errors[0]["message"], errors
