"""Yes/no columns (newsletter opt-in): oui/non, yes/no, 1/0, true/false, x, in French or English."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdm.standardise.text import key

TRUE_WORDS = frozenset({"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok", "opt in", "optin", "inscrit",
                        "inscrite", "abonne", "abonnee", "1 0"})
FALSE_WORDS = frozenset({"non", "n", "no", "0", "false", "faux", "opt out", "optout", "desinscrit",
                         "desinscrite", "desabonne", "desabonnee", "0 0"})


def parse_booleans(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(nullable boolean column, mask of values given but not understood)."""
    folded = key(raw)
    true = folded.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)
    false = folded.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[true] = True
    out[false] = False
    unknown = folded.notna().to_numpy(dtype=bool) & ~true & ~false
    return out, unknown
