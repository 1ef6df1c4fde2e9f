"""Person names: clean display values that keep their accents, plus folded keys for matching.

- NFC, trimmed, inner spaces collapsed.
- Casing only when a source shouts or whispers (ALL CAPS or all lower case): mixed-case values
  are what a person typed about themselves and are kept. Smart casing respects particles
  (de, du, des, de la, d', van, von, der, da, di...), Le/La surnames, Mc, O' and hyphenated
  first names ("JEAN-PIERRE" -> "Jean-Pierre").
- Titles (M., Mme, Mlle, Dr, Mr, Mrs...) found in a name are moved to `title`.
- A single full-name column is split into first and last name: "DUPONT Jean" (surname in
  capitals, the French administrative order), "Dupont, Jean" and "Jean de la Fontaine".

Casing and splitting are called once per distinct value (names repeat a lot).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mdm.standardise.text import (
    TEXT,
    arrow,
    as_text,
    by_distinct,
    clean,
    key,
    map_distinct,
    map_distinct_tuple,
    wrap,
)

#: Title as written (folded, without dots) -> the canonical title.
TITLES: dict[str, str] = {
    "m": "M.",
    "mr": "M.",
    "monsieur": "M.",
    "mme": "Mme",
    "madame": "Mme",
    "mlle": "Mlle",
    "mademoiselle": "Mlle",
    "dr": "Dr",
    "docteur": "Dr",
    "doctor": "Dr",
    "pr": "Pr",
    "professeur": "Pr",
    "me": "Me",
    "maitre": "Me",
    "mrs": "Mrs",
    "ms": "Ms",
    "miss": "Miss",
    "sir": "Sir",
}
#: English "Mr" is the same as "M." for our purposes, but a steward reading an English source
#: expects to see "Mr": keep the English forms when written so.
_ENGLISH = {"mr": "Mr", "mrs": "Mrs", "ms": "Ms", "miss": "Miss"}


#: Lower-case particles inside a surname.
PARTICLES = frozenset({"de", "du", "des", "d", "la", "van", "von", "der", "den", "da", "di", "del", "della",
                       "dos", "das", "do", "ten", "ter", "zu", "y", "e", "af", "av"})
#: Particles that start a surname and stay capitalised in French usage ("Le Goff", "La Fontaine"
#: when "La" is the first word of the surname).
_CAPITALISED_ARTICLES = frozenset({"le", "la", "les", "l"})


def _fold_title(raw: str) -> str:
    return raw.lower().replace(".", "").strip()


def normalise_title(value: str) -> str | None:
    """"MONSIEUR" / "m." / "Mme" -> "M." / "Mme"; unknown text -> None."""
    folded = _fold_title(value).replace("è", "e").replace("î", "i")
    if folded in _ENGLISH:
        return _ENGLISH[folded]
    return TITLES.get(folded)


def _cap_word(word: str) -> str:
    """Capitalise one word, handling Mc, O' and d' prefixes."""
    if not word:
        return word
    lower = word.lower()
    for apostrophe in ("'", "’"):
        if apostrophe in lower:
            head, _, tail = lower.partition(apostrophe)
            if head in ("d", "l") and tail:
                return head + apostrophe + _cap_word(tail)
            if head == "o" and tail:
                return "O" + apostrophe + _cap_word(tail)
            return _cap_word(head) + apostrophe + _cap_word(tail)
    if lower.startswith("mc") and len(lower) > 2:
        return "Mc" + lower[2].upper() + lower[3:]
    return lower[0].upper() + lower[1:]


@lru_cache(maxsize=200_000)
def case_name(value: str) -> str:
    """Smart casing for a name written all in capitals or all in lower case; others kept as typed."""
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return value
    if not (value == value.upper() or value == value.lower()):
        return value
    words = value.split(" ")
    out: list[str] = []
    for i, word in enumerate(words):
        lower = word.lower()
        last = i == len(words) - 1
        if i == 0 and lower in _CAPITALISED_ARTICLES and not last:
            out.append(lower.capitalize())  # "LE GOFF" -> "Le Goff", "LA FONTAINE" -> "La Fontaine"
            continue
        if lower in PARTICLES and not last:
            out.append(lower)  # "DE LA FONTAINE" -> "de la Fontaine", "VAN DER BERG" -> "van der Berg"
            continue
        if lower.startswith(("d'", "d’")) and len(lower) > 2:
            out.append(lower[:2] + _cap_word(word[2:]))  # "D'ARTAGNAN" -> "d'Artagnan"
            continue
        out.append("-".join(_cap_word(part) for part in word.split("-")))
    return " ".join(out)


_TITLE_WORDS = r"(?i)^(m|mr|mrs|ms|miss|mme|mlle|dr|pr|me|monsieur|madame|mademoiselle|docteur|professeur)\.?"


def split_title(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Remove a leading title from names: returns (name without title, canonical title or NA)."""
    arr = arrow(series)
    has = pc.match_substring_regex(arr, _TITLE_WORDS + r"(?:\s+|$)")
    rest = pc.replace_substring_regex(arr, _TITLE_WORDS + r"(?:\s+|$)", "", max_replacements=1)
    word = pc.replace_substring_regex(arr, _TITLE_WORDS + r"(?:\s+.*)?$", r"\1", max_replacements=1)
    word = pc.if_else(has, word, pa.scalar(None, word.type))
    titles = map_distinct(wrap(word, series.index), normalise_title)
    return clean(wrap(rest, series.index)), as_text(titles)


def _is_upper_token(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and token == token.upper() and token != token.lower()


@lru_cache(maxsize=200_000)
def split_full_name(value: str) -> tuple[str | None, str | None]:
    """"DUPONT Jean" / "Jean DUPONT" / "Dupont, Jean" / "Jean de la Fontaine" -> (first, last)."""
    if "," in value:
        last, _, first = value.partition(",")
        return (first.strip() or None, last.strip() or None)
    tokens = value.split()
    if len(tokens) == 1:
        return (None, tokens[0])
    upper = [_is_upper_token(t) for t in tokens]
    if any(upper) and not all(upper):
        # Surname in capitals, the rest is the first name ("DUPONT Jean", "Jean DE LA FONTAINE").
        surname = [t for t, u in zip(tokens, upper, strict=True) if u or t.lower() in PARTICLES]
        given = [t for t, u in zip(tokens, upper, strict=True) if not u and t.lower() not in PARTICLES]
        if given and surname:
            return (" ".join(given), " ".join(surname))
    # "Jean de la Fontaine": the surname starts at the first particle after the first name.
    for i, token in enumerate(tokens[1:], start=1):
        if token.lower() in PARTICLES | _CAPITALISED_ARTICLES or token.lower().startswith(("d'", "d’")):
            return (" ".join(tokens[:i]), " ".join(tokens[i:]))
    return (" ".join(tokens[:-1]), tokens[-1])


def _name_parts(values: pd.Series) -> pd.DataFrame:
    """One name column (distinct values): display name without title, its key, the title found."""
    rest, title = split_title(clean(values))
    cased = as_text(map_distinct(rest, case_name))
    return pd.DataFrame({"name": cased, "key": key(cased), "title": title}, index=values.index)


def _full_name_parts(values: pd.Series) -> pd.DataFrame:
    """A full-name column (distinct values) split into first and last name parts."""
    rest, title = split_title(clean(values))
    first, last = map_distinct_tuple(rest, split_full_name, 2)
    first_parts = _name_parts(as_text(first).set_axis(values.index))
    last_parts = _name_parts(as_text(last).set_axis(values.index))
    return pd.DataFrame(
        {
            "first": first_parts["name"], "first_key": first_parts["key"],
            "last": last_parts["name"], "last_key": last_parts["key"],
            "title": title.fillna(first_parts["title"]),
        },
        index=values.index,
    )


def _titles(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"title": as_text(map_distinct(clean(values), normalise_title))}, index=values.index)


def standardise_names(
    first: pd.Series | None, last: pd.Series | None, full: pd.Series | None, title: pd.Series | None, index: pd.Index
) -> pd.DataFrame:
    """Columns title, first_name, last_name, first_name_key, last_name_key.

    Every step runs once per distinct value (`by_distinct`): names repeat a lot.
    """
    empty = pd.Series(pd.NA, index=index, dtype=TEXT)
    none = pd.DataFrame({"name": empty, "key": empty, "title": empty}, index=index)
    first_parts = by_distinct(first, _name_parts) if first is not None else none
    last_parts = by_distinct(last, _name_parts) if last is not None else none
    title_s = by_distinct(title, _titles)["title"] if title is not None else empty

    first_name, first_key = first_parts["name"], first_parts["key"]
    last_name, last_key = last_parts["name"], last_parts["key"]
    if full is not None:
        full_parts = by_distinct(full, _full_name_parts)
        use = (first_name.isna() & last_name.isna()).to_numpy(dtype=bool)
        first_name = first_name.where(~use, full_parts["first"])
        first_key = first_key.where(~use, full_parts["first_key"])
        last_name = last_name.where(~use, full_parts["last"])
        last_key = last_key.where(~use, full_parts["last_key"])
        title_s = title_s.fillna(full_parts["title"])
    title_s = title_s.fillna(first_parts["title"]).fillna(last_parts["title"])
    return pd.DataFrame(
        {
            "title": as_text(title_s),
            "first_name": as_text(first_name),
            "last_name": as_text(last_name),
            "first_name_key": as_text(first_key),
            "last_name_key": as_text(last_key),
        },
        index=index,
    )
