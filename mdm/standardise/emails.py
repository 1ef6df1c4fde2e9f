"""Email addresses: syntax checked with email-validator (no DNS: the pipeline runs offline).

- The whole address is lower-cased: no mainstream mailbox provider treats the local part as
  case-sensitive, and matching needs one form. The raw value is kept in `email_raw`.
- Invalid syntax -> `email` NULL, `email_status` 'invalid' (never repaired by guessing).
- Typos in popular domains (gmial.com, hotmal.fr, wanado.fr...) are *flagged* with the likely
  correction in `email_suggestion`; the address itself is not changed, because a typo-looking
  domain can be real and silently rewriting an address sends mail to a stranger.
- Role addresses (contact@, info@...) are flagged: they identify a function, not a person.

Speed: a strict ASCII pattern, checked column-wise, accepts the ordinary addresses without a
library call; only the rest (accents, quotes, odd punctuation, invalid ones) go through
email-validator, once per distinct value.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email

from mdm.standardise.text import TEXT, arrow, as_text, clean, map_distinct, wrap

#: Misspelt domain -> the domain the person almost certainly meant.
DOMAIN_TYPOS: dict[str, str] = {
    "gmial.com": "gmail.com",
    "gmal.com": "gmail.com",
    "gmai.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gnail.com": "gmail.com",
    "gmail.co": "gmail.com",
    "gmail.con": "gmail.com",
    "gmail.cm": "gmail.com",
    "gmail.fe": "gmail.com",
    "gmaill.com": "gmail.com",
    "hotmal.fr": "hotmail.fr",
    "hotmial.fr": "hotmail.fr",
    "hotmai.fr": "hotmail.fr",
    "hotmail.fe": "hotmail.fr",
    "homail.fr": "hotmail.fr",
    "hotmal.com": "hotmail.com",
    "hotmial.com": "hotmail.com",
    "hotmail.con": "hotmail.com",
    "homail.com": "hotmail.com",
    "wanado.fr": "wanadoo.fr",
    "wandoo.fr": "wanadoo.fr",
    "wanadoo.fe": "wanadoo.fr",
    "wannadoo.fr": "wanadoo.fr",
    "wanaddo.fr": "wanadoo.fr",
    "oragne.fr": "orange.fr",
    "orange.fe": "orange.fr",
    "ornage.fr": "orange.fr",
    "yahooo.fr": "yahoo.fr",
    "yaho.fr": "yahoo.fr",
    "yahoo.fe": "yahoo.fr",
    "yahooo.com": "yahoo.com",
    "yaho.com": "yahoo.com",
    "yahoo.con": "yahoo.com",
    "outlok.fr": "outlook.fr",
    "outlook.fe": "outlook.fr",
    "outlok.com": "outlook.com",
    "outlook.con": "outlook.com",
    "laposte.fe": "laposte.net",
    "laposte.com": "laposte.net",
    "lapost.net": "laposte.net",
    "free.fe": "free.fr",
    "fre.fr": "free.fr",
    "sfr.fe": "sfr.fr",
    "iclou.com": "icloud.com",
    "icloud.fr": "icloud.com",
}

#: Local parts that name a function rather than a person.
ROLE_LOCAL_PARTS = frozenset(
    {
        "contact", "info", "infos", "information", "admin", "administration", "support", "sales", "vente",
        "ventes", "commercial", "compta", "comptabilite", "accounting", "direction", "accueil",
        "secretariat", "service.client", "serviceclient", "sav", "noreply", "no-reply", "webmaster",
        "postmaster", "hostmaster", "abuse", "hello", "bonjour", "rh", "hr", "recrutement", "jobs",
        "marketing", "facturation", "billing", "office", "team", "equipe", "newsletter", "mail",
    }
)

#: Ordinary addresses that email-validator accepts as they are (ASCII dot-atom, letters-only TLD).
_FAST_VALID = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
#: Top-level domains email-validator refuses as special-use: these always take the slow path.
_SPECIAL_TLDS = r"\.(?:arpa|invalid|local|localhost|onion|test|internal|home|lan|corp|intranet|private)$"


@lru_cache(maxsize=500_000)
def _validate(address: str) -> str | None:
    """email-validator on one address: its normalised form, lower-cased, or None if invalid."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(result.normalized).lower()


def _local_part(emails: pd.Series) -> pd.Series:
    return wrap(pc.replace_substring_regex(arrow(emails), "@[^@]*$", ""), emails.index)


def _domain(emails: pd.Series) -> pd.Series:
    return wrap(pc.replace_substring_regex(arrow(emails), "^.*@", ""), emails.index)


def standardise_emails(raw: pd.Series) -> pd.DataFrame:
    """Columns email, email_raw, email_status, email_suggestion, and flag masks."""
    email_raw = clean(raw)
    candidate = email_raw.str.lower()
    candidate = candidate.str.replace(r"^mailto:", "", regex=True).str.strip("<> ")
    # Spaces inside an address are a typing accident ("jean .dupont@x.fr"), not a separator.
    candidate = candidate.str.replace(" ", "", regex=False)

    fast = (
        candidate.str.fullmatch(_FAST_VALID).fillna(False).astype(bool)
        & ~candidate.str.contains(_SPECIAL_TLDS, regex=True).fillna(False).astype(bool)
        & (candidate.str.len() <= 254).fillna(False).astype(bool)
        & (_local_part(candidate).str.len() <= 64).fillna(False).astype(bool)
    )
    slow = candidate.where(~fast & candidate.notna())
    checked = as_text(map_distinct(as_text(slow), _validate))
    email = candidate.where(fast, checked)

    present = email_raw.notna()
    status = np.where(~present.to_numpy(), "missing", np.where(email.notna().to_numpy(), "valid", "invalid"))

    domain = _domain(email)
    local = _local_part(email)
    suggestion_domain = domain.map(DOMAIN_TYPOS, na_action="ignore")
    typo = suggestion_domain.notna().to_numpy()
    suggestion = (local + "@" + as_text(suggestion_domain)).where(typo)
    role = local.isin(ROLE_LOCAL_PARTS).fillna(False).to_numpy(dtype=bool) & email.notna().to_numpy()

    return pd.DataFrame(
        {
            "email": as_text(email),
            "email_raw": email_raw,
            "email_status": pd.Series(status, index=raw.index, dtype=TEXT),
            "email_suggestion": as_text(suggestion),
            "_flag_domain_typo": typo,
            "_flag_role_address": role,
        },
        index=raw.index,
    )
