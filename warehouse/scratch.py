"""Temporary tables with an owner: named in one place, returned to the caller, dropped together.

Why: steps of the matcher and the merge hand data to each other through DuckDB temp tables
(`match_input`, `match_scored`, `merge_values` ...). Created with bare `CREATE TEMP TABLE`
strings, nothing said who drops them, and a step that failed half-way left them behind on the
connection. A `Scratch` owns the tables created (or adopted) through it and drops them all when
its `with` block ends, whatever happened inside.

    with Scratch(con) as scratch:
        members = scratch.table("merge_members", "SELECT ... FROM golden.xref WHERE ...")
        con.execute(f"SELECT count(*) FROM {members}")

Names come from code, never from data.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import duckdb


class Scratch:
    """The temp tables (and views) one step owns on a connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._tables: list[str] = []
        self._views: list[str] = []

    def table(self, name: str, select_sql: str, params: list[Any] | None = None) -> str:
        """`CREATE OR REPLACE TEMP TABLE name AS select_sql`; returns `name`, now owned."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select_sql}", params or [])
        return self.own(name)

    def view(self, name: str, select_sql: str) -> str:
        """`CREATE OR REPLACE TEMP VIEW name AS select_sql`; returns `name`, now owned."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select_sql}")
        if name not in self._views:
            self._views.append(name)
        return name

    def own(self, *names: str) -> str:
        """Take tables another function created (its documented output); returns the first name."""
        for name in names:
            if name not in self._tables:
                self._tables.append(name)
        return names[0] if names else ""

    def drop(self) -> None:
        """Drop every owned view and table (views first: they may read the tables)."""
        for view in reversed(self._views):
            self.con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in reversed(self._tables):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
        self._views.clear()
        self._tables.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.drop()
        except duckdb.Error:
            if exc is None:
                raise
            # the step failed already (an aborted transaction refuses the DROP): its error is the one to show
