"""One source's mapped columns -> canonical, standardised columns (the pure part of the stage).

`standardise_frame` takes a DataFrame whose columns are canonical field names holding the
source's text (any subset of `mdm.canonical.CANONICAL_FIELDS`), and returns the standardised
columns of `staging.customers` plus `issues` (list of codes) and `email_flags`. It knows nothing
about DuckDB, so the stage, `mdm evaluate` and the tests all call it the same way.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from mdm.canonical import ACTIVITY_FIELDS
from mdm.standardise.addresses import standardise_addresses
from mdm.standardise.booleans import parse_booleans
from mdm.standardise.companies import standardise_siret, standardise_vat
from mdm.standardise.dates import standardise_birth_dates, standardise_timestamp
from mdm.standardise.emails import standardise_emails
from mdm.standardise.names import standardise_names
from mdm.standardise.national_ids import standardise_national_ids
from mdm.standardise.phones import standardise_phones
from mdm.standardise.text import TEXT, as_text, by_distinct, clean, key

log = logging.getLogger("mdm.standardise.frame")

#: Output columns, in `staging.customers` order (without the stage's bookkeeping columns).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "title", "first_name", "last_name", "first_name_key", "last_name_key",
    "email", "email_raw", "email_status", "email_flags", "email_suggestion",
    "phone", "phone_raw", "phone_status", "phone_type",
    "street", "street_key", "postcode", "city", "city_key", "country",
    "birth_date", "birth_date_status", "national_id",
    "company", "siret", "vat_number", "customer_status", "retention_category", "opt_in",
    *ACTIVITY_FIELDS,
    "issues",
)


class _Clock:
    """Seconds per standardiser, logged at DEBUG (the benchmark prints them)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._mark, 3)
        self._mark = now


#: Every column of staging.customers (the stage adds the bookkeeping ones).
STAGING_COLUMNS: tuple[str, ...] = (
    "record_key", "source", "load_id", "trust_rank", *OUTPUT_COLUMNS, "standardised_at", "payload_hash",
    "config_hash", "standardised_run_id", "validated_run_id",
)


@dataclass(frozen=True)
class SourceRules:
    """What the standardisers need to know about a source (a subset of `SourceConfig`)."""

    default_country: str = "FR"
    date_format: str | None = None
    retention_category: str = "customer"
    status_categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, source: object) -> SourceRules:
        return cls(
            default_country=str(getattr(source, "default_country", "FR")),
            date_format=getattr(source, "date_format", None),
            retention_category=str(getattr(source, "retention_category", "customer")),
            status_categories=dict(getattr(source, "status_categories", {}) or {}),
        )


def codes_list(masks: dict[str, np.ndarray], length: int) -> pa.ListArray:
    """Boolean masks {code: rows} -> one list of codes per row, built without a row loop."""
    if not masks:
        offsets = np.zeros(length + 1, dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([], pa.string()))
    names = np.array(list(masks), dtype=object)
    matrix = np.column_stack([np.asarray(m, dtype=bool) for m in masks.values()])
    rows, cols = np.nonzero(matrix)  # row-major: grouped by row, codes in declaration order
    offsets = np.zeros(length + 1, dtype=np.int32)
    np.cumsum(matrix.sum(axis=1), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(names[cols].tolist(), pa.string()))


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    return as_text(df[name]) if name in df.columns else None


@dataclass
class _Work:
    """One `standardise_frame` call: the input, the columns made so far and the issue masks.

    `issues` is insertion-ordered: the order codes are added is the order they appear in a row's
    `issues` list, so the steps below run in a fixed order."""

    df: pd.DataFrame
    rules: SourceRules
    now: datetime
    out: pd.DataFrame
    issues: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def empty(self) -> pd.Series:
        return pd.Series(pd.NA, index=self.df.index, dtype=TEXT)

    def raw(self, name: str) -> pd.Series:
        """The column as it came (all-NA when the source does not map it)."""
        return self.df[name] if name in self.df.columns else self.empty

    def text(self, name: str) -> pd.Series:
        return as_text(self.df[name]) if name in self.df.columns else self.empty

    def take(self, frame: pd.DataFrame, columns: tuple[str, ...], issues: tuple[str, ...] = ()) -> None:
        """Copy `columns` of a standardiser's result, and its `_issue_<code>` masks."""
        for column in columns:
            self.out[column] = frame[column]
        for code in issues:
            self.issues[code] = frame[f"_issue_{code}"].to_numpy(dtype=bool)


def standardise_frame(df: pd.DataFrame, rules: SourceRules, now: datetime) -> pd.DataFrame:
    """Standardise every column of `df` (canonical field names) for one source."""
    work = _Work(df=df, rules=rules, now=now, out=pd.DataFrame(index=df.index))
    clock = _Clock()
    names = standardise_names(_col(df, "first_name"), _col(df, "last_name"), _col(df, "full_name"),
                              _col(df, "title"), df.index)
    work.take(names, tuple(names.columns))
    clock.lap("names")
    _emails(work)
    clock.lap("emails")
    addresses = standardise_addresses(_col(df, "street"), _col(df, "postcode"), _col(df, "city"),
                                      _col(df, "country"), rules.default_country, df.index)
    work.take(addresses, ("street", "street_key", "postcode", "city", "city_key", "country"))
    clock.lap("addresses")
    _phones(work, addresses["country"].fillna(rules.default_country.upper()))
    # The address codes come after the phone codes in a row's list (their historical order).
    work.take(addresses, (), ("postcode_invalid", "postcode_repaired", "country_unknown"))
    clock.lap("phones")
    births = standardise_birth_dates(work.text("birth_date"), rules.date_format, now)
    work.out["birth_date"] = births["birth_date"]
    work.out["birth_date_status"] = births["birth_date_status"].astype(TEXT)
    work.take(births, (), ("birth_date_unparseable", "birth_date_impossible"))
    clock.lap("birth_dates")
    _identifiers(work)
    clock.lap("companies")
    _status_and_opt_in(work)
    clock.lap("status_opt_in")
    _activity_dates(work)
    clock.lap("activity_dates")
    work.out["issues"] = pd.Series(codes_list(work.issues, len(df)), index=df.index,
                                   dtype=pd.ArrowDtype(pa.list_(pa.string())))
    clock.lap("issues")
    log.debug("standardise_frame seconds: %s", clock.laps)
    return work.out[list(OUTPUT_COLUMNS)]


def _emails(work: _Work) -> None:
    emails = by_distinct(work.text("email"), standardise_emails)
    work.take(emails, ("email", "email_raw", "email_status", "email_suggestion"))
    issues = work.issues
    issues["email_invalid"] = (emails["email_status"] == "invalid").to_numpy(dtype=bool)
    issues["email_domain_typo"] = emails["_flag_domain_typo"].to_numpy(dtype=bool)
    issues["email_role_address"] = emails["_flag_role_address"].to_numpy(dtype=bool)
    work.out["email_flags"] = pd.Series(
        codes_list({"domain_typo": issues["email_domain_typo"], "role_address": issues["email_role_address"]},
                   len(work.df)),
        index=work.df.index,
        dtype=pd.ArrowDtype(pa.list_(pa.string())),
    )


def _phones(work: _Work, region_of_row: pd.Series) -> None:
    """Phones are read in the country of the row's address (default: the source's country)."""
    raw_phone = work.text("phone")
    phones = []
    for region in region_of_row.unique():
        rows = (region_of_row == region).to_numpy(dtype=bool)
        phones.append(by_distinct(raw_phone[rows], functools.partial(standardise_phones, region=str(region))))
    phone = (pd.concat(phones).reindex(work.df.index) if phones
             else standardise_phones(raw_phone, work.rules.default_country))
    work.take(phone, ("phone", "phone_raw", "phone_status", "phone_type"), ("phone_invalid", "phone_repaired"))


def _identifiers(work: _Work) -> None:
    """National ID, company name, SIRET and VAT number."""
    work.take(standardise_national_ids(work.raw("national_id")), ("national_id",), ("national_id_invalid",))
    work.out["company"] = clean(work.df["company"]) if "company" in work.df.columns else work.empty
    work.take(standardise_siret(work.raw("siret")), ("siret",), ("siret_invalid",))
    work.take(standardise_vat(work.raw("vat_number")), ("vat_number",), ("vat_invalid",))


def _status_and_opt_in(work: _Work) -> None:
    """The customer status and the retention category it maps to; the opt-in as a boolean."""
    rules = work.rules
    categories = {k2: v for k, v in rules.status_categories.items()
                  for k2 in key(pd.Series([k])).dropna().tolist()}

    def statuses(values: pd.Series) -> pd.DataFrame:
        status = clean(values).str.lower()
        category = as_text(key(status).map(categories, na_action="ignore"))
        return pd.DataFrame({"status": status, "category": category.fillna(rules.retention_category)},
                            index=values.index)

    status = by_distinct(work.raw("customer_status"), statuses)
    work.out["customer_status"] = status["status"]
    work.out["retention_category"] = status["category"]

    def booleans(values: pd.Series) -> pd.DataFrame:
        parsed, unknown = parse_booleans(values)
        return pd.DataFrame({"value": parsed, "unknown": unknown}, index=values.index)

    opt_in = by_distinct(work.raw("opt_in"), booleans)
    work.out["opt_in"] = opt_in["value"].astype("boolean")
    work.issues["opt_in_unparseable"] = opt_in["unknown"].to_numpy(dtype=bool)


def _activity_dates(work: _Work) -> None:
    for name in ACTIVITY_FIELDS:
        if name in work.df.columns:
            values, unparseable, future = standardise_timestamp(work.df[name], work.rules.date_format, work.now)
            work.issues[f"{name}_unparseable"] = unparseable
            work.issues[f"{name}_in_future"] = future
            work.out[name] = values
        else:
            work.out[name] = pd.Series(pd.NaT, index=work.df.index, dtype="datetime64[ns]")
