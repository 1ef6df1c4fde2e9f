"""Vectorised text helpers for the generators: no Python loop over rows.

Arrays of text are numpy object arrays; `a + b` on them runs in C. Transformations that need
Python (accent folding, a typo) run once per *distinct* value through `per_distinct`, which is
what keeps a million records fast: there are only tens of thousands of distinct names.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from functools import reduce
from operator import add

import numpy as np
import pandas as pd

#: "00".."99", for building phone numbers and dates by lookup instead of formatting per row.
TWO_DIGITS = np.array([f"{i:02d}" for i in range(100)], dtype=object)
#: "0".."9999", for street numbers and years.
NUMBERS = np.array([str(i) for i in range(10_000)], dtype=object)

#: Neighbouring keys on a French AZERTY keyboard, for substitution typos.
_AZERTY_NEIGHBOURS = {
    "a": "zqs", "z": "aeqs", "e": "zrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj", "i": "uojk",
    "o": "iplk", "p": "olm", "q": "aswz", "s": "qdzx", "d": "sfec", "f": "dgrv", "g": "fhtb", "h": "gjyn",
    "j": "hkun", "k": "jlio", "l": "kmop", "m": "lp", "w": "xqs", "x": "wcsd", "c": "xvdf", "v": "cbfg",
    "b": "vngh", "n": "bhj",
}


def objects(values: object) -> np.ndarray:
    """Any array-like of text as a numpy object array."""
    return np.asarray(values, dtype=object)


def cat(*parts: object) -> np.ndarray:
    """Element-wise concatenation of object arrays and plain strings."""
    # Plain strings become 0-d object arrays: as numpy str_ a trailing NUL would be stripped.
    return objects(reduce(add, [objects(p) for p in parts]))


def per_distinct(values: np.ndarray, func: Callable[[str], str]) -> np.ndarray:
    """Apply `func` once per distinct non-null value; nulls stay null."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return values.copy()
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = None
    return mapped[codes]


def fold_accents(text: str) -> str:
    """'Hélène' -> 'Helene'; 'Œ' is spelled out as forms do ('Cœur' -> 'Coeur')."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def email_part(text: str) -> str:
    """A name as people put it in an email address: folded, lower case, no spaces or apostrophes."""
    return fold_accents(text).lower().replace(" ", "").replace("'", "")


def typo(word: str, variant: int, seed: int) -> str:
    """One realistic keying mistake (substitution, drop, transposition, doubling), deterministic.

    The same (word, variant, seed) always gives the same typo, whatever the run or process.
    """
    if len(word) < 3:
        return word
    rng = random.Random(f"{seed}:{variant}:{word}")
    letters = [i for i, c in enumerate(word) if c.isalpha()][1:]  # keep the initial: people rarely miss it
    if not letters:
        return word
    pos = rng.choice(letters)
    kind = rng.choice(("substitute", "drop", "transpose", "double"))
    char = word[pos]
    if kind == "substitute":
        near = _AZERTY_NEIGHBOURS.get(fold_accents(char).lower(), "")
        if near:
            new = rng.choice(near)
            return word[:pos] + (new.upper() if char.isupper() else new) + word[pos + 1 :]
        kind = "drop"
    if kind == "drop" and len(word) > 3:
        return word[:pos] + word[pos + 1 :]
    if kind == "transpose" and pos + 1 < len(word) and word[pos + 1].isalpha() and word[pos + 1] != char:
        return word[:pos] + word[pos + 1] + char + word[pos + 2 :]
    return word[:pos] + char + word[pos:]


def typo_array(values: np.ndarray, variants: np.ndarray, seed: int) -> np.ndarray:
    """Typos for an array of words, each with its own variant number (0-2): once per distinct pair."""
    keyed = cat(values, "\x00", NUMBERS[variants])
    return per_distinct(keyed, lambda k: typo(k.split("\x00")[0], int(k.split("\x00")[1]), seed))


def pick(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """A mask choosing round(rate x eligible) rows among `eligible` (at least one if any is eligible).

    Exact counts rather than coin flips: the documented rates hold on every run, and a small
    test data set still contains every error kind.
    """
    idx = np.flatnonzero(eligible)
    mask = np.zeros(len(eligible), dtype=bool)
    if len(idx) == 0 or rate <= 0:
        return mask
    k = min(len(idx), max(1, round(rate * len(idx))))
    mask[rng.choice(idx, size=k, replace=False)] = True
    return mask


def where_obj(condition: object, yes: object, no: object) -> np.ndarray:
    """`np.where` over text (object) values, None allowed on either side."""
    return objects(np.where(np.asarray(condition, dtype=bool), objects(yes), objects(no)))
