"""Values too common to be anyone's own compare as missing: a form's default birth date, a placeholder identifier.

Why: a web form that pre-fills 01/01/1970, a clerk who types a made-up number to get past a
mandatory field. A duplicate carrying such a value looks like a record with a *wrong* value
("different" birth date: a strong no), and two strangers carrying it look like two records that
*agree* (the same identifier: a strong yes). Either way the value says nothing about the person,
so it should say nothing to the matcher: its prepared columns are cleared in the matching input,
and every comparison, blocking rule and training step sees it as missing. The staging and golden
layers keep it as it was: only matching ignores it.

What makes a value a default is the blocking cap's principle carried into the comparisons: it is
held by far more *people* than any natural value of its field.
- People, not records: a customer with twenty records holds his birth date twenty times. Holders
  are counted by surname, phonetically (`ln_ph`: typos in one person's records rarely change it),
  and a record without a surname counts as a holder of its own.
- "Far more than any natural value": more than `factor` times the field's 99th percentile of
  holders per value, and at least `min_people`. The percentile scales with the file (a natural
  birth date is held by one or two people in ten thousand records, by some fifty in a million),
  and a few defaults among thousands of values do not move it.

The judgement is stored with the matching state and reused while the data stays about the same
size, like the skipped blocking rules (`matching/engine.py`): judging afresh every night would let
a value near the limit flip, and every flip changes stored comparison vectors. The stored values
are salted hashes, never the values themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from matching.prepare import INPUT_TABLE, VALUE_COLUMNS


@dataclass(frozen=True)
class DefaultCheck:
    """Which fields of a kind's matching input are checked, and how their holders are counted.

    `fields`: name in messages -> the prepared value column (a key of `VALUE_COLUMNS`).
    `holder`: SQL over a row of the matching input naming who holds a value, once per person.
    `conventions`: value column -> SQL over `value` giving a pattern. A crowd that repeats on one
    pattern across `CONVENTION_VALUES` values or more is how the file writes a part it does not
    know (1 January of each year for a year alone, as Wikidata's and many registers' exports do),
    not a default: those dates still tell the year, and clearing them cost Splink's historical set
    0.876 -> 0.872.
    """

    fields: Mapping[str, str]
    holder: str
    conventions: Mapping[str, str] = field(default_factory=dict)


#: How many crowded values sharing one pattern make a convention (see `DefaultCheck.conventions`):
#: two forms' defaults (1900-01-01 and 1970-01-01) are still defaults.
CONVENTION_VALUES = 3


#: Persons: holders counted by the surname's phonetic code (typos in one person's records rarely
#: change it), or the record itself when it has no surname. E-mail and phone are not checked: a
#: mailbox or line many people share (info@ a company, a switchboard) is the household rule's
#: evidence of two people when their first names differ (`comparisons.PERSON_HOUSEHOLD`), and
#: clearing such values cost the generated million 0.0012 of precision (0.9949 -> 0.9937).
PERSON_DEFAULTS = DefaultCheck(
    fields={"birth_date": "dob", "national_id": "nid"},
    holder="coalesce(ln_ph, ln, record_key)",
    conventions={"dob": "strftime(value, '%m%d')"},
)


@dataclass(frozen=True)
class DefaultValues:
    """What one judgement found: per field, the salted hashes of its defaults and the records holding them."""

    hashes: dict[str, list[str]]
    records: dict[str, int]

    def warnings(self) -> list[str]:
        """One line per field with defaults: counts only, never a value."""
        lines = []
        for name, found in self.hashes.items():
            if found:
                values = "1 value" if len(found) == 1 else f"{len(found)} values"
                lines.append(
                    f"{name}: {values} held by {self.records[name]:,} records treated as missing (held by far more "
                    f"people than any natural {name}: a form's default or a placeholder)"
                )
        return lines


def judge(
    con: duckdb.DuckDBPyConnection, check: DefaultCheck, min_people: int, factor: float, salt: str,
) -> DefaultValues:
    """The values of each checked field of `INPUT_TABLE` held by more than `factor` x the field's
    99th percentile of holders per value, and by at least `min_people` holders, unless they follow
    a convention (`DefaultCheck.conventions`)."""
    hashes: dict[str, list[str]] = {}
    records: dict[str, int] = {}
    holder = check.holder
    for name, column in check.fields.items():
        pattern = check.conventions.get(column, "value")
        rows = con.execute(f"""
            WITH held AS (
                SELECT {column} AS value, count(DISTINCT {holder}) AS people, count(*) AS records
                FROM {INPUT_TABLE} WHERE {column} IS NOT NULL GROUP BY ALL
            ), crowded AS (
                SELECT value, {pattern} AS pattern, records FROM held
                WHERE people >= ? AND people > ? * (SELECT quantile_cont(people, 0.99) FROM held)
            )
            SELECT md5(? || CAST(value AS VARCHAR)), records FROM crowded
            QUALIFY count(*) OVER (PARTITION BY pattern) < ?
            ORDER BY 1
        """, [min_people, factor, salt, CONVENTION_VALUES]).fetchall()
        hashes[name] = [str(r[0]) for r in rows]
        records[name] = sum(int(r[1]) for r in rows)
    return DefaultValues(hashes, records)


def clear(con: duckdb.DuckDBPyConnection, check: DefaultCheck, found: DefaultValues, salt: str,
          min_people: int) -> None:
    """Clear, in `INPUT_TABLE`, every prepared column of each judged default (`VALUE_COLUMNS`).

    Only values held by `min_people` records or more are hashed to be looked up: a default is
    among them, and hashing every record's value would cost a second a night at a million."""
    for name, column in check.fields.items():
        if not found.hashes.get(name):
            continue
        cleared = ", ".join(f"{c} = NULL" for c in VALUE_COLUMNS[column])
        con.execute(f"""
            UPDATE {INPUT_TABLE} SET {cleared}
            WHERE {column} IN (
                SELECT value FROM (
                    SELECT {column} AS value FROM {INPUT_TABLE} WHERE {column} IS NOT NULL
                    GROUP BY ALL HAVING count(*) >= ?
                ) WHERE md5(? || CAST(value AS VARCHAR)) IN (SELECT unnest(?::VARCHAR[]))
            )
        """, [min_people, salt, found.hashes[name]])
