"""Why a PostgreSQL server could not be opened, in Chinese, with what to check (DB_OPEN_FAILED).

psycopg reports a failed connection as one English sentence without an SQLSTATE (the server has not
spoken SQL yet), so the reason is read from its text. The message names the server, user and database
from the URL (never the password) and says what to check; psycopg's own sentence goes to the diagnostics
log only (scrubbed there like every line), never into the message a clerk reads out.
"""
from __future__ import annotations

import logging

from sqlalchemy import URL

from registry_app.errors import StorageError

log = logging.getLogger("registry.storage")
log.addHandler(logging.NullHandler())  # a command without a log file prints nothing of it to stderr

# (every fragment that must be in psycopg's text, lower-cased) -> what happened and what to check.
# Order matters: the first match wins (a TLS refusal by pg_hba.conf before any other pg_hba refusal).
_REASONS: list[tuple[tuple[str, ...], str]] = [
    (("connection refused",),
     "服务器拒绝连接：该地址和端口上没有数据库服务在运行。请检查服务器是否开机、PostgreSQL 服务是否已启动、"
     "URL 中的地址和端口是否正确，以及防火墙是否放行该端口"),
    (("failed to resolve host",),
     "找不到该主机名。请检查 URL 中的服务器名称，以及本机的网络和 DNS 设置"),
    (("could not translate host name",),
     "找不到该主机名。请检查 URL 中的服务器名称，以及本机的网络和 DNS 设置"),
    (("password authentication failed",),
     "用户 {user} 的密码不对。请检查本机 ~/.pgpass 中该服务器的密码（或 URL 中的密码）与数据库管理员设置的是否一致"),
    (("no password supplied",),
     "服务器要求密码，但没有提供。请把用户 {user} 的密码写入本机 ~/.pgpass（仅本人可读），或请数据库管理员协助"),
    (("role \"", "does not exist"),
     "服务器上没有数据库用户（角色）{user}。请核对 URL 中的用户名，或请数据库管理员建立本办公室的角色"),
    (("database \"", "does not exist"),
     "服务器上没有名为 {database} 的数据库。请核对 URL 中的数据库名称"),
    (("pg_hba.conf", "no encryption"),
     "服务器只接受加密连接（TLS），拒绝了未加密的连接。请在 URL 中设置 sslmode=verify-full 和 sslrootcert"
     "（办公室 CA 证书）"),
    (("pg_hba.conf",),
     "服务器的访问规则（pg_hba.conf）不允许本计算机以用户 {user} 连接数据库 {database}。请数据库管理员核对访问规则"),
    (("permission denied for database",),
     "用户 {user} 没有连接数据库 {database} 的权限。请数据库管理员按 registry db grant-role 的脚本授权"),
    (("certificate verify failed",),
     "服务器的证书未通过核验（不是办公室 CA 签发，或 sslrootcert 指向了别的 CA 证书），可能连到了冒充的服务器，"
     "未传送任何数据。请核对 sslrootcert 指定的证书，并请管理员检查服务器证书"),
    (("does not match host name",),
     "服务器证书上的主机名与 URL 中的主机名 {host} 不符，未传送任何数据。请用证书上的主机名连接"
     "（需要时用 hostaddr= 指定地址），或请管理员检查服务器证书"),
    (("server does not support ssl",),
     "服务器不支持加密连接（TLS），而 URL 要求加密。请管理员在服务器上开启 TLS；不要降低 sslmode"),
    (("root certificate file",),
     "找不到 sslrootcert 指定的 CA 证书文件。请检查 URL 中该文件的路径"),
    (("too many connections",),
     "服务器的连接数已满。请稍后再试；经常出现时请管理员检查 max_connections"),
    (("remaining connection slots",),
     "服务器的连接数已满。请稍后再试；经常出现时请管理员检查 max_connections"),
    (("starting up",), "数据库服务器正在启动。请稍等片刻再试"),
    (("shutting down",), "数据库服务器正在关闭。请稍后再试，或请管理员确认服务器状态"),
    (("timeout expired",),
     "连接超时：服务器没有应答。请检查网络连接、服务器是否开机，以及防火墙"),
    (("timed out",),
     "连接超时：服务器没有应答。请检查网络连接、服务器是否开机，以及防火墙"),
    (("no route to host",), "网络不通：到服务器没有可用的路由。请检查网络连接和服务器地址"),
    (("network is unreachable",), "网络不通：到服务器没有可用的路由。请检查网络连接和服务器地址"),
    (("server closed the connection unexpectedly",),
     "服务器在建立连接时中断了连接。请检查网络和防火墙，并请管理员查看服务器日志"),
    (("invalid", "option"), "URL 中的连接参数有误。请核对 ? 之后的参数（如 sslmode、sslrootcert）"),
    (("invalid", "value"), "URL 中的连接参数有误。请核对 ? 之后的参数（如 sslmode、sslrootcert）"),
]
_UNKNOWN = ("服务器拒绝了连接，原因未能识别（服务器的原话已写入诊断日志）。请检查服务器是否运行，"
            "以及 URL 中的地址、端口、用户名和数据库名称")


def server_address(url: URL) -> str:
    return f"{url.query.get('hostaddr') or url.host or 'localhost'}:{url.port or 5432}"


def open_refusal(url: URL, detail: str) -> StorageError:
    """DB_OPEN_FAILED for a server that refused or could not be reached; `detail` is psycopg's text."""
    text = detail.lower()
    reason = next((why for needles, why in _REASONS if all(n in text for n in needles)), _UNKNOWN)
    reason = reason.format(user=url.username or "（未指定）", database=url.database or "（未指定）",
                           host=url.host or "localhost")
    log.warning("DB_OPEN_FAILED %s: %s", server_address(url), detail)
    return StorageError(f"无法连接数据库服务器 {server_address(url)}：{reason}", code="DB_OPEN_FAILED")
