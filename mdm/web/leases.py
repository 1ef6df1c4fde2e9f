"""Suggestion leases: a suggestion a steward opened is reserved to them for a few minutes.

Why: two stewards working through the queue at once must never be handed the same pair. The
claim is one `BEGIN IMMEDIATE` transaction in SQLite, so two app workers (threads or processes)
racing for a pair cannot both win it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from mdm.stewardship.store import transaction


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def claim(con: sqlite3.Connection, pair_id: str, user_name: str, at: datetime, minutes: float) -> str:
    """Reserve `pair_id` for `user_name` unless someone else holds it; return the holder."""
    with transaction(con):
        row = con.execute(
            "SELECT user_name FROM leases WHERE pair_id = ? AND expires_at > ?", (pair_id, _iso(at))
        ).fetchone()
        if row is not None and row["user_name"] != user_name:
            return str(row["user_name"])
        con.execute(
            "INSERT INTO leases (pair_id, user_name, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (pair_id) DO UPDATE SET user_name = excluded.user_name, expires_at = excluded.expires_at",
            (pair_id, user_name, _iso(at + timedelta(minutes=minutes))),
        )
        return user_name


def holder(con: sqlite3.Connection, pair_id: str, at: datetime) -> str | None:
    row = con.execute(
        "SELECT user_name FROM leases WHERE pair_id = ? AND expires_at > ?", (pair_id, _iso(at))
    ).fetchone()
    return None if row is None else str(row["user_name"])


def release(con: sqlite3.Connection, pair_id: str, user_name: str) -> None:
    con.execute("DELETE FROM leases WHERE pair_id = ? AND user_name = ?", (pair_id, user_name))


def leased_by_others(con: sqlite3.Connection, user_name: str, at: datetime) -> list[str]:
    rows = con.execute(
        "SELECT pair_id FROM leases WHERE expires_at > ? AND user_name <> ?", (_iso(at), user_name)
    ).fetchall()
    return [str(r["pair_id"]) for r in rows]


def skip(con: sqlite3.Connection, pair_id: str, user_name: str, at: datetime) -> None:
    con.execute(
        "INSERT INTO skips (pair_id, user_name, skipped_at) VALUES (?, ?, ?) "
        "ON CONFLICT (pair_id, user_name) DO UPDATE SET skipped_at = excluded.skipped_at",
        (pair_id, user_name, _iso(at)),
    )
    release(con, pair_id, user_name)


def skipped_by(con: sqlite3.Connection, user_name: str, at: datetime, hours: float = 12) -> list[str]:
    """Pairs this steward skipped recently: not handed to them again today."""
    rows = con.execute(
        "SELECT pair_id FROM skips WHERE user_name = ? AND skipped_at > ?",
        (user_name, _iso(at - timedelta(hours=hours))),
    ).fetchall()
    return [str(r["pair_id"]) for r in rows]
