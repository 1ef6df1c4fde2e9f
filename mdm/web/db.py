"""The web app's own SQLite file (`$MDM_HOME/web.sqlite`): users, sessions, login failures, leases.

Kept apart from the stewardship store (`steward.sqlite`), whose tables the pipeline reads: the app
owns these tables alone and can change them without touching a contract. WAL mode and a busy
timeout let several app workers (and `mdm users`) write beside each other.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mdm.stewardship.store import open_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('steward', 'manager', 'admin')),
    password_hash TEXT NOT NULL,          -- Argon2id, from argon2-cffi
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id  TEXT PRIMARY KEY,         -- random; the cookie carries it signed
    user_name   TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,            -- per-session token every POST form carries
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key        TEXT NOT NULL,             -- 'user:<name>' or 'addr:<client address>'
    failed_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, failed_at);
CREATE TABLE IF NOT EXISTS leases (
    pair_id     TEXT PRIMARY KEY,         -- '<record_key_l>|<record_key_r>'
    user_name   TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS skips (
    pair_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    skipped_at  TEXT NOT NULL,
    PRIMARY KEY (pair_id, user_name)
);
"""


def web_db_path(home: Path) -> Path:
    return home / "web.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create) the web database (same SQLite settings as the decisions store)."""
    return open_wal(path, SCHEMA)
