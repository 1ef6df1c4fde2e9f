"""Any database SQLAlchemy can reach: a table or a query, optionally incremental.

Incremental extraction: with `watermark_column`, only rows whose watermark is greater than the
largest one seen by the last successful load are read; the new maximum is stored in
`raw.source_state` in the same transaction as the rows, so a failed run never skips rows.

The URL may hold a password: give it through `url_env` (the name of an environment variable)
rather than in the file, and it is only ever shown masked (`postgresql://user:***@host/db`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.text import text_column, unique_names


class SqlOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (secret: prefer url_env), e.g. postgresql+psycopg://user@host/db.",
        json_schema_extra={"secret": True},
    )
    url_env: str | None = Field(default=None, description="Environment variable holding the URL.")
    table: str | None = Field(default=None, description="Table to read (optionally schema.table).")
    query: str | None = Field(default=None, description="SELECT to read instead of a table.")
    watermark_column: str | None = Field(
        default=None, description="Column that grows on every change (updated_at, id): incremental reads."
    )
    order_by: list[str] = Field(
        default_factory=list, description="Columns ordering the extract; default: watermark, then key columns."
    )

    @model_validator(mode="after")
    def _one_of(self) -> SqlOptions:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url, url_env")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table, query")
        return self


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, safe to print."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def encode_watermark(value: Any) -> dict[str, str]:
    """A watermark as JSON, keeping its type so it binds back as the same type."""
    if isinstance(value, bool | int):
        return {"type": "int", "value": str(int(value))}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    return {"type": "str", "value": str(value)}


def decode_watermark(data: dict[str, str]) -> Any:
    kind, value = data["type"], data["value"]
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


def table_hash(table: pa.Table) -> str:
    """Content hash of an extract: the same rows in the same order give the same hash."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


class SqlQuery(SourceConnector):
    kind = "sql"
    description = "A table or query from any SQLAlchemy URL, incremental by a watermark column"
    options_model = SqlOptions
    file_based = False

    def url(self) -> str:
        options: SqlOptions = self.options
        if options.url_env:
            value = os.environ.get(options.url_env)
            if not value:
                raise SourceError(f"{self.label()}: environment variable {options.url_env} is not set")
            return value
        assert options.url is not None
        return options.url

    def label(self) -> str:
        options: SqlOptions = self.options
        return f"sql:{options.table}" if options.table else f"sql:{self.source.name}-query"

    def masked_label(self) -> str:
        try:
            return f"{self.label()} @ {mask_url(self.url())}"
        except SourceError:
            return self.label()

    def discover(self, inbox: Path, state: dict[str, Any] | None = None) -> list[SourceItem]:
        return [SourceItem(label=self.label(), path=None, state=dict(state or {}))]

    def statement(self, watermark: Any) -> tuple[Any, dict[str, Any]]:
        """The SELECT to run, with bound parameters; identifiers quoted by the dialect."""
        import sqlalchemy as sa

        options: SqlOptions = self.options
        source: Any
        if options.table:
            schema, _, name = options.table.rpartition(".")
            source = sa.table(name, schema=schema or None)
        else:
            assert options.query is not None
            source = sa.text(options.query.strip().rstrip(";")).columns().subquery("mdm_q")
        stmt: Any = sa.select(sa.literal_column("*")).select_from(source)
        params: dict[str, Any] = {}
        if options.watermark_column and watermark is not None:
            stmt = stmt.where(sa.column(options.watermark_column) > sa.bindparam("mdm_watermark"))
            params["mdm_watermark"] = watermark
        order = options.order_by or (
            [options.watermark_column] if options.watermark_column else []
        ) + self.source.key_columns
        if order:
            stmt = stmt.order_by(*(sa.column(c) for c in dict.fromkeys(order)))
        return stmt, params

    def read(self, item: SourceItem) -> ReadResult:
        import sqlalchemy as sa

        options: SqlOptions = self.options
        stored = item.state.get("watermark")
        watermark = decode_watermark(stored) if stored else None
        url = self.url()
        stmt, params = self.statement(watermark)
        try:
            engine = sa.create_engine(url)
        except Exception as exc:
            raise SourceError(f"{item.label}: invalid database URL ({type(exc).__name__})") from None
        try:
            with engine.connect() as conn:
                result = conn.execute(stmt, params)
                names = list(result.keys())
                rows = result.fetchall()
        except sa.exc.DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
            detail = type(exc.orig).__name__ + (f", SQLSTATE {code}" if code else "")
            raise SourceError(f"{item.label}: database error ({detail})") from None
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"{item.label}: database error ({type(exc).__name__})") from None
        finally:
            engine.dispose()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        table = pa.table(
            [text_column(values) for values in columns], names=unique_names(names)
        )
        state: dict[str, Any] = {}
        if options.watermark_column and rows:
            if options.watermark_column not in names:
                raise SourceError(f"{item.label}: watermark column {options.watermark_column!r} not in the result")
            values = [v for v in columns[names.index(options.watermark_column)] if v is not None]
            if values:
                state["watermark"] = encode_watermark(max(values))
        return ReadResult(
            sheets=[SheetTable(sheet=None, table=table)],
            content_hash=table_hash(table) if rows else None,
            state=state,
        )
