"""Normalise an identifier given by a person (erasure request) the way ingestion does, and hash
identifiers for the suppression list.

Reusing the standardiser's own functions means an erased e-mail typed as "Jean.Dupont@Mail.FR "
finds the record standardised as "jean.dupont@mail.fr", and that the suppression hash computed
now equals the one computed on the next export.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import phonenumbers

from standardise.emails import standardise_emails
from standardise.national_ids import standardise_national_ids
from standardise.phones import standardise_phones

#: Suppression hash in SQL, the twin of `suppression_hash`: params (salt, kind), then the value column.
SUPPRESSION_HASH_SQL = "sha256(concat(?, chr(31), ?, chr(31), {value}))"


def suppression_hash(kind: str, value: str, salt: str) -> str:
    """Salted SHA-256 of a normalised identifier: sha256(salt US kind US value), 64 hex digits."""
    return hashlib.sha256(f"{salt}\x1f{kind}\x1f{value}".encode()).hexdigest()


def normalise_email(value: str) -> str | None:
    frame = standardise_emails(pd.Series([value], dtype=object))
    email = frame["email"].iloc[0]
    return None if pd.isna(email) else str(email)


def normalise_phone(value: str, region: str = "FR") -> str | None:
    frame = standardise_phones(pd.Series([value], dtype=object), region)
    phone = frame["phone"].iloc[0]
    return None if pd.isna(phone) else str(phone)


def normalise_national_id(value: str) -> str | None:
    frame = standardise_national_ids(pd.Series([value], dtype=object))
    national_id = frame["national_id"].iloc[0]
    return None if pd.isna(national_id) else str(national_id)


def phone_digit_forms(e164: str) -> list[str]:
    """How the number may be written in a raw payload once separators are removed."""
    parsed = phonenumbers.parse(e164, None)
    nsn = phonenumbers.national_significant_number(parsed)
    digits = e164.lstrip("+")
    return sorted({digits, "00" + digits, "0" + nsn, nsn})
