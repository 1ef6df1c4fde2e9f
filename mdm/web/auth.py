"""Users, passwords, sessions and the login rate limit. Plain functions over `web.sqlite`.

Why here and not in a framework plugin: the CLI (`mdm users add`) and the app share them, and
they test without a server. Passwords are hashed with Argon2id; sessions live server-side so a
logout or a removed user ends them at once; the cookie only carries the signed session id.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES: tuple[str, ...] = ("steward", "manager", "admin")

#: What each role may do. Managers read reports and figures only: no personal data.
PERMISSIONS: dict[str, frozenset[str]] = {
    "steward": frozenset({"figures", "reports", "steward"}),
    "manager": frozenset({"figures", "reports"}),
    "admin": frozenset({"figures", "reports", "steward", "users"}),
}

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A user could not be added or changed (bad name, role, or password)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True)
class Session:
    session_id: str
    user: User
    csrf_token: str


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def add_user(con: sqlite3.Connection, name: str, role: str, password: str, at: datetime) -> User:
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise UserError("a user name is 1 to 64 characters without spaces")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if len(password) < 8:
        raise UserError("a password needs at least 8 characters")
    try:
        con.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, _hasher.hash(password), _iso(at)),
        )
    except sqlite3.IntegrityError:
        raise UserError(f"a user named {name!r} already exists") from None
    return User(name, role)


def list_users(con: sqlite3.Connection) -> list[dict[str, str]]:
    rows = con.execute("SELECT name, role, created_at FROM users ORDER BY name").fetchall()
    return [dict(r) for r in rows]


def remove_user(con: sqlite3.Connection, name: str) -> bool:
    """Delete a user and end their sessions. Returns False if there was no such user."""
    con.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
    cur = con.execute("DELETE FROM users WHERE name = ?", (name,))
    return cur.rowcount > 0


def verify_password(con: sqlite3.Connection, name: str, password: str) -> User | None:
    row = con.execute("SELECT name, role, password_hash FROM users WHERE name = ?", (name,)).fetchone()
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
    return User(row["name"], row["role"])


# --- sessions -------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def create_session(con: sqlite3.Connection, user: User, at: datetime, hours: float) -> Session:
    session = Session(new_token(), user, new_token())
    con.execute(
        "INSERT INTO sessions (session_id, user_name, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (session.session_id, user.name, session.csrf_token, _iso(at), _iso(at + timedelta(hours=hours))),
    )
    return session


def get_session(con: sqlite3.Connection, session_id: str, at: datetime) -> Session | None:
    row = con.execute(
        "SELECT s.session_id, s.csrf_token, s.expires_at, u.name, u.role FROM sessions s "
        "JOIN users u ON u.name = s.user_name WHERE s.session_id = ?",
        (session_id,),
    ).fetchone()
    if row is None or row["expires_at"] <= _iso(at):
        return None
    return Session(row["session_id"], User(row["name"], row["role"]), row["csrf_token"])


def end_session(con: sqlite3.Connection, session_id: str) -> None:
    con.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))


# --- login rate limit -----------------------------------------------------------------------


#: A client address may fail this many times more, over all user names, than one name from it.
ADDRESS_FACTOR = 4
#: A user name may fail this many times more, over all addresses, than from one address.
ACCOUNT_FACTOR = 10


def _keys(name: str, address: str) -> dict[str, str]:
    account = name.strip().lower()
    return {"pair": f"user:{account}|addr:{address}", "address": f"addr:{address}", "account": f"user:{account}"}


def login_blocked(con: sqlite3.Connection, name: str, address: str, at: datetime, max_failures: int,
                  window_minutes: float) -> bool:
    """True when this name failed too often from this address, this address too often over all names,
    or this name too often over all addresses, within the window.

    Why three counts: counted per name alone, one attacker anywhere locks the admin out after
    `max_failures` guesses; counted per address alone, everyone behind one proxy shares one count.
    Here an attacker locks out only their own address and, after 10x the limit from many
    addresses, the one name attacked, never every user.
    """
    since = _iso(at - timedelta(minutes=window_minutes))
    keys = _keys(name, address)
    limits = {"pair": max_failures, "address": ADDRESS_FACTOR * max_failures,
              "account": ACCOUNT_FACTOR * max_failures}
    for kind, key in keys.items():
        (count,) = con.execute(
            "SELECT count(*) FROM login_failures WHERE key = ? AND failed_at > ?", (key, since)
        ).fetchone()
        if count >= limits[kind]:
            return True
    return False


def record_login_failure(con: sqlite3.Connection, name: str, address: str, at: datetime) -> None:
    con.executemany(
        "INSERT INTO login_failures (key, failed_at) VALUES (?, ?)",
        [(k, _iso(at)) for k in _keys(name, address).values()],
    )
    con.execute("DELETE FROM login_failures WHERE failed_at < ?", (_iso(at - timedelta(days=1)),))


def clear_login_failures(con: sqlite3.Connection, name: str, address: str) -> None:
    """After a successful login: forget this name's failures (from this address and overall)."""
    keys = _keys(name, address)
    con.execute("DELETE FROM login_failures WHERE key IN (?, ?)", (keys["pair"], keys["account"]))
