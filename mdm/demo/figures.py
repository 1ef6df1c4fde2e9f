"""How often different people look alike in a canonical file: the figures the error model promises.

Read any canonical CSV with a truth column (the demo's `--canonical`, `benchmarks.datagen
--canonical`) and print the share of e-mail addresses, phone numbers and (first, last) names held
by two or more people, and the twin and same-name parent/child pairs visible in the records. The
figures are measured on the records as written (typos and all), so they are what a matcher sees,
not what the generator intended (`Population.kin_counts` holds that).

    python -m demo.figures /tmp/match100k/canonical.csv
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from mdm.demo.textops import fold_accents, per_distinct

#: A parent and child are at least this many years apart (the generator's gap starts at 20; birth
#: dates carry errors, so the check leaves room).
MIN_GENERATION_YEARS = 15


def _folded(values: pd.Series) -> pd.Series:
    """Upper case without accents: how a person compares names, not how a file spells them."""
    text = values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
    return pd.Series(per_distinct(text, lambda s: fold_accents(s).upper().strip()), index=values.index)


def _national_phone(values: pd.Series) -> pd.Series:
    """The last nine digits, whatever the format (06 12 .. / +33 6 .. / 612345678 from Excel)."""
    digits = values.astype("string").str.replace(r"\D", "", regex=True).str[-9:]
    return digits.where(digits.str.len() == 9)


def shared_share(values: pd.Series, person: pd.Series) -> float:
    """Share of the distinct non-empty values that two or more people hold."""
    frame = pd.DataFrame({"value": values, "person": person}).dropna()
    people = frame.groupby("value")["person"].nunique()
    return float((people >= 2).mean()) if len(people) else 0.0


def _pairs(keys: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """Distinct pairs of different people (person_x < person_y) agreeing on the `on` columns."""
    keys = keys.dropna(subset=on).drop_duplicates()
    joined = keys.merge(keys, on=on)
    return joined[joined["person_x"] < joined["person_y"]] if len(joined) else joined


def twin_pairs(frame: pd.DataFrame) -> int:
    """Pairs of people with the same surname, birth date and postcode and different first names."""
    keys = pd.DataFrame({"person": frame["person_id"], "last": _folded(frame["last_name"]),
                         "birth": frame["birth_date"], "postcode": frame["postcode"],
                         "first": _folded(frame["first_name"])}).dropna()
    pairs = _pairs(keys, ["last", "birth", "postcode"])
    pairs = pairs[pairs["first_x"] != pairs["first_y"]]
    return int(len(pairs[["person_x", "person_y"]].drop_duplicates()))


def same_name_parent_child_pairs(frame: pd.DataFrame) -> int:
    """Pairs of people with the same first and last name who share an e-mail, a phone or a street,
    born at least `MIN_GENERATION_YEARS` apart: a parent and the child named after them."""
    name = _folded(frame["first_name"]) + "|" + _folded(frame["last_name"])
    year = pd.to_numeric(frame["birth_date"].astype("string").str[:4], errors="coerce")
    street = _folded(frame["street"]) + "|" + frame["postcode"].astype("string")
    contacts = [frame["email"].astype("string").str.lower(), _national_phone(frame["phone"]), street]
    keys = pd.concat([pd.DataFrame({"person": frame["person_id"], "name": name, "contact": c, "year": year})
                      for c in contacts], ignore_index=True)
    pairs = _pairs(keys.dropna(), ["name", "contact"])
    pairs = pairs[(pairs["year_x"] - pairs["year_y"]).abs() >= MIN_GENERATION_YEARS]
    return int(len(pairs[["person_x", "person_y"]].drop_duplicates()))


def household_figures(frame: pd.DataFrame, truth_column: str = "person_id") -> dict[str, float | int]:
    """The look-alike figures of a canonical frame (see the module docstring)."""
    frame = frame.rename(columns={truth_column: "person_id"})
    person = frame["person_id"]
    name = _folded(frame["first_name"]) + "|" + _folded(frame["last_name"])
    return {
        "records": len(frame),
        "people": int(person.nunique()),
        "emails_shared": shared_share(frame["email"].astype("string").str.lower(), person),
        "phones_shared": shared_share(_national_phone(frame["phone"]), person),
        "names_shared": shared_share(name, person),
        "twin_pairs": twin_pairs(frame),
        "same_name_parent_child_pairs": same_name_parent_child_pairs(frame),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Look-alike figures of a canonical CSV (see module docstring).")
    parser.add_argument("csv", type=Path, help="canonical CSV with a truth column")
    parser.add_argument("--truth-column", default="person_id")
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.csv, dtype=str, keep_default_na=False).replace("", np.nan)
    figures = household_figures(frame, args.truth_column)
    print(json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
