"""Run the suites with an ephemeral Great Expectations context; return our own `ValidationReport`.

Nothing outside this module touches GX objects: the stage, the Dagster asset checks, the CLI and
the reports read `ValidationReport`. GX is imported lazily (it takes seconds to import).

A source's rules run as two suites (canonical + source rules merged, split by severity), each on
a batch holding only the columns its rules read. Blocking rules use `result_format=COMPLETE`
with `unexpected_index_column_names=["record_key"]`, which gives the failing rows' keys;
warnings use `SUMMARY`. Low-cardinality columns are categorical, which makes GX's per-batch
hashing and copying several times cheaper on a million rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from expectations.suites import ERROR, WARNING, Rule, Suite, to_gx

DOCS_SITE = "mdm"


@dataclass
class ExpectationOutcome:
    suite: str
    reason: str
    severity: str
    column: str | None
    success: bool
    element_count: int
    unexpected_count: int
    failing_keys: list[str] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationReport:
    """The outcome of validating one source's new rows."""

    source: str
    rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes if o.severity == ERROR)

    def failures(self) -> pd.DataFrame:
        """Rows failing blocking rules: columns record_key, reasons (list, in rule order)."""
        pairs = [(key, o.reason) for o in self.outcomes if o.severity == ERROR for key in o.failing_keys]
        if not pairs:
            return pd.DataFrame({"record_key": pd.Series([], dtype=object), "reasons": pd.Series([], dtype=object)})
        frame = pd.DataFrame(pairs, columns=["record_key", "reason"]).drop_duplicates()
        grouped = frame.groupby("record_key", sort=True)["reason"].agg(list)
        return pd.DataFrame({"record_key": grouped.index.to_numpy(), "reasons": grouped.to_numpy()})


def _flagged(issues: pd.Series, code: str) -> np.ndarray:
    """Rows whose `issues` list holds `code` (tests' small frames; the stage derives this in SQL)."""
    return np.array([bool(v is not None and not isinstance(v, float) and code in list(v)) for v in issues],
                    dtype=bool)


def validation_frame(staging: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns the rules read (from staging.customers-shaped rows).

    - `contact_channel`: 'email' | 'phone' | 'postal' (postcode and city) | None
    - `identity`: 'name' (first or last name) | 'email' | 'organisation' (a company name or a
      valid company identifier: a record about an organisation names it) | None
    - `postcode_check`, `opt_in_check`, `siret_check`, `national_id_check`: 'ok' | 'invalid' | None
      (nothing given).
    - `field_length_check`: 'too_long' when standardisation blanked an over-long value, else 'ok'.

    Each is computed only when absent: the stage derives them in SQL (see `expectations.stage`),
    and reads only the columns the rules need, so recomputing them here would be wrong.
    """
    frame = staging.copy()

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index)

    email_ok = (col("email_status") == "valid").to_numpy(dtype=bool)
    if "contact_channel" not in frame.columns:
        phone_ok = (col("phone_status") == "valid").to_numpy(dtype=bool)
        postal_ok = (col("postcode").notna() & col("city").notna()).to_numpy(dtype=bool)
        frame["contact_channel"] = _first_label(len(frame), [(email_ok, "email"), (phone_ok, "phone"),
                                                             (postal_ok, "postal")])
    if "identity" not in frame.columns:
        named = (col("last_name").notna() | col("first_name").notna()).to_numpy(dtype=bool)
        company = (col("company").notna() | col("siren").notna() | col("vat_number").notna()).to_numpy(dtype=bool)
        frame["identity"] = _first_label(len(frame), [(named, "name"), (email_ok, "email"),
                                                      (company, "organisation")])
    issues = col("issues")
    for check, field_name, code in (
        ("postcode_check", "postcode", "postcode_invalid"),
        ("opt_in_check", "opt_in", "opt_in_unparseable"),
        ("siret_check", "siret", "siret_invalid"),
        ("national_id_check", "national_id", "national_id_invalid"),
    ):
        if check in frame.columns:
            continue
        flagged = _flagged(issues, code)
        given = col(field_name).notna().to_numpy(dtype=bool) | flagged
        frame[check] = _first_label(len(frame), [(flagged, "invalid"), (given, "ok")])
    if "field_length_check" not in frame.columns:
        frame["field_length_check"] = np.where(_flagged(issues, "field_too_long"), "too_long", "ok")
    for name in ("record_key", "email_status", "birth_date_status", "phone_status", "phone", "email_suggestion",
                 "postcode", "country", "last_contact_at"):
        if name not in frame.columns:
            frame[name] = None
    return frame


#: Few distinct values: made categorical before GX hashes the batch.
CATEGORICAL = frozenset({"email_status", "phone_status", "birth_date_status", "contact_channel", "identity",
                         "postcode_check", "opt_in_check", "siret_check", "national_id_check",
                         "country"})


def needed_columns(suites: list[Suite], severity: str | None = None) -> list[str]:
    """record_key, then every column the rules (of one severity, or all) read, in rule order."""
    needed = ["record_key"]
    for suite in suites:
        for rule in suite.rules:
            if severity is not None and rule.severity != severity:
                continue
            for name in (rule.column, "country" if "row_condition" in rule.kwargs else None):
                if name and name not in needed:
                    needed.append(name)
    return needed


def narrow(frame: pd.DataFrame, suites: list[Suite], severity: str | None = None) -> pd.DataFrame:
    """Only the columns the rules read, low-cardinality ones categorical: GX hashes and copies
    every column of a batch, so width costs time on big loads."""
    out = frame[[c for c in needed_columns(suites, severity) if c in frame.columns]].copy()
    for name in out.columns:
        if name in CATEGORICAL and out[name].dtype == object:
            out[name] = out[name].astype("category")
    return out


def _first_label(length: int, choices: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Per row, the label of the first true mask; None where none is true (object array)."""
    out = np.full(length, None, dtype=object)
    done = np.zeros(length, dtype=bool)
    for mask, label in choices:
        take = mask & ~done
        out[take] = label
        done |= take
    return out


class Validator:
    """One ephemeral GX context for a run: validates frames, optionally builds Data Docs."""

    def __init__(self, data_docs_dir: Path | None = None):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.data_docs_dir = data_docs_dir
        if data_docs_dir is not None:
            data_docs_dir.mkdir(parents=True, exist_ok=True)
            self.context.add_data_docs_site(
                site_name=DOCS_SITE,
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                      "base_directory": str(data_docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self.datasource = self.context.data_sources.add_pandas("staging")
        self._assets: dict[str, Any] = {}
        self._suites: dict[str, tuple[tuple[Rule, ...], Any]] = {}

    def _batch_definition(self, source: str) -> Any:
        if source not in self._assets:
            asset = self.datasource.add_dataframe_asset(name=source)
            self._assets[source] = asset.add_batch_definition_whole_dataframe(f"{source}_new_rows")
        return self._assets[source]

    def _gx_suite(self, source: str, suites: list[Suite], severity: str) -> Any:
        """One GX suite per source and severity: the canonical rules plus the source's own.

        Cached by name, and rebuilt when the rules under that name changed (one Validator
        validating a source under two configurations must not keep the first one's rules).
        """
        name = f"{suites[-1].name if len(suites) > 1 else suites[0].name + '.' + source}.{severity}"
        combined = Suite(name, tuple(rule for suite in suites for rule in suite.rules if rule.severity == severity))
        cached = self._suites.get(name)
        if cached is not None and cached[0] == combined.rules:
            return cached[1]
        if cached is not None:
            self.context.suites.delete(name)
        origin = {rule.reason: suite.name for suite in suites for rule in suite.rules}
        gx_suite = to_gx(combined)
        for expectation in gx_suite.expectations:
            expectation.meta["suite"] = origin.get(expectation.meta["reason"], combined.name)
        self._suites[name] = (combined.rules, self.context.suites.add(gx_suite))
        return self._suites[name][1]

    def validate(self, source: str, frame: pd.DataFrame, suites: list[Suite]) -> ValidationReport:
        """Validate one source's rows (already passed through `validation_frame`).

        Blocking rules run with `result_format=COMPLETE` and `unexpected_index_column_names=
        ["record_key"]` (the failing keys); warnings run in a second, narrower batch with
        `SUMMARY` (counts only): GX builds the index list row by row, which on a million rows
        with a common warning costs more than the second batch.
        """
        report = ValidationReport(source=source, rows=len(frame))
        if frame.empty:
            return report
        batch_definition = self._batch_definition(source)
        for severity in (ERROR, WARNING):
            if not any(rule.severity == severity for suite in suites for rule in suite.rules):
                continue
            gx_suite = self._gx_suite(source, suites, severity)
            result_format: dict[str, Any] = (
                {"result_format": "COMPLETE", "unexpected_index_column_names": ["record_key"],
                 "return_unexpected_index_query": False, "partial_unexpected_count": 0}
                if severity == ERROR else {"result_format": "SUMMARY", "partial_unexpected_count": 0}
            )
            batch_frame = narrow(frame, suites, severity)
            if self.data_docs_dir is not None:
                results = self._run_checkpoint(source, batch_definition, gx_suite, batch_frame, result_format)
            else:
                batch = batch_definition.get_batch(batch_parameters={"dataframe": batch_frame})
                results = batch.validate(gx_suite, result_format=result_format).results
            for item in results:
                report.outcomes.append(_outcome(item))
        return report

    def _run_checkpoint(self, source: str, batch_definition: Any, gx_suite: Any, frame: pd.DataFrame,
                        result_format: dict[str, Any]) -> list[Any]:
        gx = self._gx
        name = f"{source}:{gx_suite.name}"
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(name=f"checkpoint:{name}", validation_definitions=[definition],
                          actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[DOCS_SITE])],
                          result_format=result_format)
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        return [item for run in outcome.run_results.values() for item in run.results]

    def docs_index(self) -> Path | None:
        if self.data_docs_dir is None:
            return None
        index = self.data_docs_dir / "index.html"
        return index if index.exists() else None


def _outcome(item: Any) -> ExpectationOutcome:
    config = item.expectation_config
    meta = config.meta or {}
    result = item.result or {}
    keys: list[str] = []
    for row in result.get("unexpected_index_list") or []:
        if isinstance(row, dict) and row.get("record_key") is not None:
            keys.append(str(row["record_key"]))
    observed = {k: result[k] for k in ("unexpected_percent", "missing_count", "observed_value") if k in result}
    severity = str(meta.get("severity", WARNING))
    if severity != ERROR:
        keys = []  # warnings keep counts only: the rows stay in play
    return ExpectationOutcome(
        suite=str(meta.get("suite", "")),
        reason=str(meta.get("reason", config.type)),
        severity=severity,
        column=config.kwargs.get("column"),
        success=bool(item.success),
        element_count=int(result.get("element_count") or 0),
        unexpected_count=int(result.get("unexpected_count") or 0),
        failing_keys=keys,
        observed={k: (float(v) if isinstance(v, int | float) else str(v)) for k, v in observed.items()},
    )
