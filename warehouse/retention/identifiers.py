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

from mdm.standardise.emails import standardise_emails
from mdm.standardise.national_ids import standardise_national_ids
from mdm.standardise.phones import standardise_phones
from warehouse.connection import sql_literal

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


#: Providers where dots in the local part do not matter (the same mailbox), and their canonical domain.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(email: str) -> str:
    """The mailbox an address delivers to: case folded, `+tag` dropped, and for Gmail the dots of
    the local part dropped (googlemail.com is gmail.com). Erasure and suppression compare
    mailboxes, so `Jean.Dupont+promo@GoogleMail.com` is the person erased as `jeandupont@gmail.com`."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


def mailbox_sql(value: str) -> str:
    """SQL twin of `mailbox` over the expression `value` (code, never user input)."""
    dotless = ", ".join(sql_literal(d) for d in DOTLESS_DOMAINS)
    low = f"lower(trim({value}))"
    local = f"split_part(regexp_extract({low}, '^(.*)@[^@]*$', 1), '+', 1)"
    domain = f"regexp_extract({low}, '@([^@]*)$', 1)"
    return (
        f"CASE WHEN NOT contains({low}, '@') THEN {low}"
        f" WHEN {domain} IN ({dotless}) THEN replace({local}, '.', '') || '@gmail.com'"
        f" ELSE {local} || '@' || {domain} END"
    )
