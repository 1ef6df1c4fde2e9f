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
from mdm.standardise.companies import company_identifiers, standardise_company_names, web_domain
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
    "siren", "legal_form", "company_key", "website", "company_domain", "contact_role", "party_kind",
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


def _standardise_organisation(
    df: pd.DataFrame, out: pd.DataFrame, issues: dict[str, np.ndarray], empty: pd.Series
) -> None:
    """Company name, legal form, identifiers, web domain, contact role and the row's party kind.

    Reads the e-mail already standardised in `out` (a business address gives the web domain).
    """

    def column(name: str) -> pd.Series:
        return df[name] if name in df.columns else empty

    names = standardise_company_names(column("company"))
    out["company"] = names["company"]
    given_form = standardise_company_names(column("legal_form"))["legal_form"]
    # a form mapped from its own column wins; one read from the name otherwise; an unrecognised
    # form typed in its own column is kept as typed
    out["legal_form"] = given_form.fillna(names["legal_form"]).fillna(clean(column("legal_form")))
    out["company_key"] = names["company_key"]
    ids = company_identifiers(column("siret"), column("siren"), column("vat_number"))
    for name in ("siret", "siren", "vat_number"):
        out[name] = ids[name]
    for code in ("siret_invalid", "siren_invalid", "vat_invalid"):
        issues[code] = ids[f"_issue_{code}"].to_numpy(dtype=bool)
    out["website"] = clean(column("website"))
    out["company_domain"] = web_domain(column("website"), out["email"])
    out["contact_role"] = clean(column("contact_role"))
    has_names = (out["first_name"].notna() | out["last_name"].notna()).to_numpy(dtype=bool)
    has_company = (out["company"].notna() | out["siret"].notna() | out["siren"].notna()
                   | out["vat_number"].notna()).to_numpy(dtype=bool)
    kind = np.where(has_names & has_company, "contact", np.where(has_company, "organisation", "person"))
    out["party_kind"] = pd.Series(kind, index=out.index, dtype=TEXT)


def standardise_frame(df: pd.DataFrame, rules: SourceRules, now: datetime) -> pd.DataFrame:
    """Standardise every column of `df` (canonical field names) for one source."""
    index = df.index
    n = len(df)
    clock = _Clock()
    issues: dict[str, np.ndarray] = {}
    out = pd.DataFrame(index=index)

    names = standardise_names(_col(df, "first_name"), _col(df, "last_name"), _col(df, "full_name"),
                              _col(df, "title"), index)
    for column in names.columns:
        out[column] = names[column]

    clock.lap("names")
    empty = pd.Series(pd.NA, index=index, dtype=TEXT)
    emails = by_distinct(_col(df, "email") if "email" in df.columns else empty, standardise_emails)
    for column in ("email", "email_raw", "email_status", "email_suggestion"):
        out[column] = emails[column]
    issues["email_invalid"] = (emails["email_status"] == "invalid").to_numpy(dtype=bool)
    issues["email_domain_typo"] = emails["_flag_domain_typo"].to_numpy(dtype=bool)
    issues["email_role_address"] = emails["_flag_role_address"].to_numpy(dtype=bool)
    out["email_flags"] = pd.Series(
        codes_list({"domain_typo": issues["email_domain_typo"], "role_address": issues["email_role_address"]}, n),
        index=index,
        dtype=pd.ArrowDtype(pa.list_(pa.string())),
    )

    clock.lap("emails")
    addresses = standardise_addresses(_col(df, "street"), _col(df, "postcode"), _col(df, "city"),
                                      _col(df, "country"), rules.default_country, index)
    for column in ("street", "street_key", "postcode", "city", "city_key", "country"):
        out[column] = addresses[column]

    clock.lap("addresses")
    phone_region = addresses["country"].fillna(rules.default_country.upper())
    phones = []
    raw_phone = as_text(df["phone"]) if "phone" in df.columns else empty
    for region in phone_region.unique():
        rows = (phone_region == region).to_numpy(dtype=bool)
        phones.append(by_distinct(raw_phone[rows], functools.partial(standardise_phones, region=str(region))))
    phone = pd.concat(phones).reindex(index) if phones else standardise_phones(raw_phone, rules.default_country)
    for column in ("phone", "phone_raw", "phone_status", "phone_type"):
        out[column] = phone[column]
    issues["phone_invalid"] = phone["_issue_phone_invalid"].to_numpy(dtype=bool)
    issues["phone_repaired"] = phone["_issue_phone_repaired"].to_numpy(dtype=bool)
    for code in ("postcode_invalid", "postcode_repaired", "country_unknown"):
        issues[code] = addresses[f"_issue_{code}"].to_numpy(dtype=bool)

    clock.lap("phones")
    births = standardise_birth_dates(_col(df, "birth_date") if "birth_date" in df.columns else empty,
                                     rules.date_format, now)
    out["birth_date"] = births["birth_date"]
    out["birth_date_status"] = births["birth_date_status"].astype(TEXT)
    issues["birth_date_unparseable"] = births["_issue_birth_date_unparseable"].to_numpy(dtype=bool)
    issues["birth_date_impossible"] = births["_issue_birth_date_impossible"].to_numpy(dtype=bool)

    clock.lap("birth_dates")
    national_ids = standardise_national_ids(df["national_id"] if "national_id" in df.columns else empty)
    out["national_id"] = national_ids["national_id"]
    issues["national_id_invalid"] = national_ids["_issue_national_id_invalid"].to_numpy(dtype=bool)
    _standardise_organisation(df, out, issues, empty)
    clock.lap("companies")
    categories = {k2: v for k, v in rules.status_categories.items()
                  for k2 in key(pd.Series([k])).dropna().tolist()}

    def statuses(values: pd.Series) -> pd.DataFrame:
        status = clean(values).str.lower()
        category = as_text(key(status).map(categories, na_action="ignore"))
        return pd.DataFrame({"status": status, "category": category.fillna(rules.retention_category)},
                            index=values.index)

    status = by_distinct(df["customer_status"] if "customer_status" in df.columns else empty, statuses)
    out["customer_status"] = status["status"]
    out["retention_category"] = status["category"]

    def booleans(values: pd.Series) -> pd.DataFrame:
        parsed, unknown = parse_booleans(values)
        return pd.DataFrame({"value": parsed, "unknown": unknown}, index=values.index)

    opt_in = by_distinct(df["opt_in"] if "opt_in" in df.columns else empty, booleans)
    out["opt_in"] = opt_in["value"].astype("boolean")
    issues["opt_in_unparseable"] = opt_in["unknown"].to_numpy(dtype=bool)

    clock.lap("status_opt_in")
    for name in ACTIVITY_FIELDS:
        if name in df.columns:
            values, unparseable, future = standardise_timestamp(df[name], rules.date_format, now)
            issues[f"{name}_unparseable"] = unparseable
            issues[f"{name}_in_future"] = future
            out[name] = values
        else:
            out[name] = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")

    clock.lap("activity_dates")
    out["issues"] = pd.Series(codes_list(issues, n), index=index, dtype=pd.ArrowDtype(pa.list_(pa.string())))
    clock.lap("issues")
    log.debug("standardise_frame seconds: %s", clock.laps)
    return out[list(OUTPUT_COLUMNS)]
