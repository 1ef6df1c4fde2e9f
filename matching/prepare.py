"""Turn valid customer records into the matching input: one row per record with comparison keys.

Why a separate step: every comparison and blocking rule reads the same derived columns (folded
names, nickname groups, phonetic codes, email parts, phone tail, date parts). Deriving them once,
set-wise in DuckDB, keeps the pair-level SQL simple and fast. The few derivations DuckDB cannot do
(metaphone, the nickname table) run in Python once per *distinct* name, never per record or pair.

The result is the temp table `match_input` with `content_hash`, which the incremental run compares
with the previous run's hashes to find new and changed records.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import duckdb
import jellyfish
import pandas as pd
import pyarrow as pa

from matching.sql import one

INPUT_TABLE = "match_input"

#: Columns of the matching input whose change makes a record "changed" for the incremental run.
HASHED_COLUMNS = ("fn_raw", "fn", "ln_raw", "ln", "email", "phone", "street", "postcode", "city", "dob", "nid")


def _fold(expr: str) -> str:
    """SQL: lower-case, accents off, punctuation to single spaces, trimmed; NULL when empty."""
    return (
        "nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(" + expr + ")), "
        "'[^a-z0-9 ]+', ' ', 'g'), ' +', ' ', 'g')), '')"
    )


def _name(expr: str) -> str:
    """Like `_fold` but letters only (digits in a name are noise)."""
    return (
        "nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(" + expr + ")), "
        "'[^a-z ]+', ' ', 'g'), ' +', ' ', 'g')), '')"
    )


@cache
def nickname_groups() -> dict[str, tuple[str, ...]]:
    """Name -> ids of the nickname groups it belongs to (French and English table)."""
    text = (resources.files("matching") / "data" / "nicknames.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    groups: dict[str, set[str]] = {}
    for row in csv.DictReader(lines):
        # names are space-separated; a multi-word name ("jean baptiste") is only the group id itself
        for name in {*row["names"].split(" "), row["group"]} - {""}:
            groups.setdefault(name, set()).add(row["group"])
    return {k: tuple(sorted(v)) for k, v in groups.items()}


#: Street-type and filler words (French and English) skipped when picking a street's name token.
STREET_WORDS = frozenset(  # noqa: SIM905 - a word list reads better as text
    ["rue", "avenue", "av", "ave", "boulevard", "bd", "chemin", "allee", "impasse", "place", "pl", "route", "rte", "quai", "cours", "square", "residence", "res", "lotissement", "lieu", "dit", "hameau", "voie", "sentier", "passage", "cite", "parvis", "rond", "point", "faubourg", "fg", "montee", "esplanade", "street", "st", "road", "rd", "crescent", "circuit", "drive", "dr", "court", "ct", "lane", "ln", "close", "parade", "way", "grove", "terrace", "tce", "highway", "hwy", "de", "la", "le", "les", "du", "des", "d", "l", "et", "en", "sur", "sous", "aux", "au", "the", "of", "bis", "ter", "appartement", "apt", "batiment", "bat", "escalier", "etage"]
)


@cache
def street_name_token(street: str) -> str | None:
    """The street's most telling word: its longest token that is not a number or a street type."""
    tokens = [t for t in street.split(" ") if t.isalpha() and t not in STREET_WORDS and len(t) >= 3]
    return max(tokens, key=len) if tokens else None


@cache
def phonetic(value: str) -> str:
    """Metaphone of each token, joined: 'dupont martin' -> 'TPNT MRTN'."""
    return " ".join(jellyfish.metaphone(t) for t in value.split(" ") if t)


_FEATURES_SCHEMA = pa.schema([("name", pa.string()), ("ph", pa.string()), ("groups", pa.list_(pa.string())),
                              ("canon", pa.string())])
_STREETS_SCHEMA = pa.schema([("street", pa.string()), ("name", pa.string())])


def _name_features(values: list[str]) -> pd.DataFrame:
    groups = nickname_groups()
    rows = []
    for v in values:
        g = list(groups.get(v, ()))
        rows.append({"name": v, "ph": phonetic(v) or None, "groups": g, "canon": g[0] if g else v})
    return pd.DataFrame(rows, columns=["name", "ph", "groups", "canon"])


def prepare_input(con: duckdb.DuckDBPyConnection, source: str = "staging.valid_customers") -> int:
    """Create the temp table `match_input` from `source`; return its row count.

    `source` is a table or view name chosen by code (the stage, the evaluator), never by data.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_base AS
        SELECT record_key,
               source,
               nullif(lower(trim(first_name)), '') AS fn_raw,
               {_name("coalesce(first_name_key, first_name)")} AS fn,
               nullif(lower(trim(last_name)), '') AS ln_raw,
               {_name("coalesce(last_name_key, last_name)")} AS ln,
               nullif(lower(trim(email)), '') AS email,
               nullif(trim(phone), '') AS phone,
               {_fold("coalesce(street_key, street)")} AS street,
               nullif(upper(regexp_replace(postcode, '[^0-9A-Za-z]', '', 'g')), '') AS postcode,
               {_name("coalesce(city_key, city)")} AS city,
               birth_date AS dob,
               nullif(upper(regexp_replace(national_id, '[^0-9A-Za-z]', '', 'g')), '') AS nid
        FROM {source}
    """)
    distinct = con.execute(
        "SELECT DISTINCT n FROM (SELECT fn AS n FROM match_base UNION SELECT ln FROM match_base) WHERE n IS NOT NULL"
        " ORDER BY n"
    ).fetchall()
    features = _name_features([r[0] for r in distinct])
    # Registered as typed Arrow, not pandas: DuckDB infers an object column's type from its first
    # rows, and when those are all None or [] (names sorted, no nickname group yet) it infers NULL,
    # then fails on the first real value ("Failed to cast value: VARCHAR -> NULL").
    con.register("match_name_features", pa.Table.from_pandas(features, schema=_FEATURES_SCHEMA, preserve_index=False))
    streets = [r[0] for r in con.execute(
        "SELECT DISTINCT street FROM match_base WHERE street IS NOT NULL ORDER BY street").fetchall()]
    street_names = pd.DataFrame({"street": streets, "name": [street_name_token(v) for v in streets]},
                                columns=["street", "name"])
    con.register("match_street_names", pa.Table.from_pandas(street_names, schema=_STREETS_SCHEMA, preserve_index=False))
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE match_input AS
            SELECT b.*,
                   left(b.fn, 1) AS fn_initial,
                   left(b.ln, 1) AS ln_initial,
                   CASE WHEN b.fn LIKE '% %'
                        THEN array_to_string(list_transform(string_split(b.fn, ' '), lambda x: left(x, 1)), '')
                   END AS fn_inits,
                   -- both initials in alphabetical order: a blocking key that survives a first/last swap
                   CASE WHEN b.fn IS NOT NULL AND b.ln IS NOT NULL
                        THEN least(left(b.fn, 1), left(b.ln, 1)) || greatest(left(b.fn, 1), left(b.ln, 1))
                   END AS name_initials,
                   coalesce(ff.groups, []) AS fn_groups,
                   string_split(b.fn, ' ') AS fn_tokens,
                   replace(b.fn, ' ', '') AS fn_compact,
                   coalesce(ff.canon, b.fn) AS fn_canon,
                   ff.ph AS fn_ph,
                   lf.ph AS ln_ph,
                   string_split(b.ln, ' ') AS ln_tokens,
                   CASE WHEN b.fn IS NOT NULL AND b.ln IS NOT NULL
                        THEN least(b.fn, b.ln) || '|' || greatest(b.fn, b.ln) END AS name_pair,
                   CASE WHEN ff.ph IS NOT NULL AND lf.ph IS NOT NULL
                        THEN least(ff.ph, lf.ph) || '|' || greatest(ff.ph, lf.ph) END AS name_pair_ph,
                   nullif(split_part(b.email, '@', 1), '') AS email_local,
                   regexp_replace(split_part(b.email, '@', 1), '[^a-z]', '', 'g') AS email_letters,
                   CASE WHEN b.fn IS NOT NULL AND b.ln IS NOT NULL AND b.email IS NOT NULL THEN list_contains(
                       [replace(b.fn, ' ', '') || replace(b.ln, ' ', ''), replace(b.ln, ' ', '') || replace(b.fn, ' ', ''),
                        left(b.fn, 1) || replace(b.ln, ' ', ''), replace(b.ln, ' ', '') || left(b.fn, 1),
                        replace(b.fn, ' ', '') || left(b.ln, 1)],
                       regexp_replace(split_part(b.email, '@', 1), '[^a-z]', '', 'g'))
                   ELSE FALSE END AS email_spells_name,
                   nullif(split_part(b.email, '@', 2), '') AS email_domain,
                   CASE WHEN length(regexp_replace(b.phone, '[^0-9]', '', 'g')) >= 8
                        THEN right(regexp_replace(b.phone, '[^0-9]', '', 'g'), 8) END AS phone_tail,
                   list_distinct(list_transform(list_filter(string_split(b.street, ' '), lambda t: t <> ''),
                                                lambda t: hash(t))) AS street_hashes,
                   nullif(regexp_extract(b.street, '[0-9]+'), '') AS street_num,
                   sn.name AS street_name,
                   strftime(b.dob, '%Y%m%d') AS dob_str,
                   CAST(year(b.dob) AS VARCHAR) AS dob_year,
                   strftime(b.dob, '%m%d') AS dob_md,
                   md5(concat_ws(chr(31), {", ".join(f"coalesce(CAST(b.{c} AS VARCHAR), '')" for c in HASHED_COLUMNS)}))
                       AS content_hash
            FROM match_base b
            LEFT JOIN match_name_features ff ON ff.name = b.fn
            LEFT JOIN match_name_features lf ON lf.name = b.ln
            LEFT JOIN match_street_names sn ON sn.street = b.street
        """)
    finally:
        con.unregister("match_name_features")
        con.unregister("match_street_names")
    con.execute("DROP TABLE match_base")
    row = one(con, "SELECT count(*) FROM match_input")
    return int(row[0]) if row else 0
