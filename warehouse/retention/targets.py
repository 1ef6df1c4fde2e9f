"""What an erasure removes, as salted hashes only, and the free-text scrubber built from them.

Why hashes: an erasure that cannot finish at once (the published file is locked by a BI tool, the
disk is full) must resume later, at the next `mdm erase` or `mdm run`, and the journal that lets
it resume must not itself keep the person. So the journal keeps, per kind, salted SHA-256 hashes
(`identifiers.suppression_hash`, the suppression list's own) of:

- `record_key`, `golden_id`: rows naming them are removed from every file;
- `organisation_id`: a sole trader's golden organisation (`sole_traders.py`): rows naming it too;
- `email` (as written and as its mailbox), `phone`, `national_id`: rows carrying them are removed,
  and free text mentioning them is scrubbed;
- `token`: the accent-folded words of the person's names, scrubbed from free text (steward
  comments, reasons, file names). A comment naming another person who shares a first name loses
  that word too: erasure errs on the side of forgetting;
- `file`: paths (relative to `$MDM_HOME`) of inbox and rejected files that held the person.

Every step matches values by hashing them with the same salt, in SQL (`hash_sql`) or in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers

from mdm.privacy import EMAIL_PATTERN
from warehouse.retention.identifiers import mailbox, suppression_hash

KINDS = ("record_key", "golden_id", "organisation_id", "email", "phone", "national_id", "token", "file")
#: What replaces an erased identifier in free text.
ERASED = "[erased]"
#: Column names holding free text a person can be named in (steward comments, hold reasons, file
#: names and load errors). Matched in every table of every DuckDB, Parquet and SQLite file.
FREE_TEXT_COLUMNS = ("comment", "reason", "file", "error", "note", "notes", "label")

_PHONE = re.compile(r"\+?\d[\d .()-]{6,}\d")
_WORD = re.compile(r"[^\W\d_]+")


def fold(word: str) -> str:
    """Lower case without accents: the form name tokens are hashed in."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Name particles: scrubbing them would strip every "de" and "la" from every comment.
PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "van", "von", "der", "den", "di", "da", "dos",
                       "das", "del", "della", "mac", "mc", "saint", "sainte", "ben", "bin", "ibn", "el", "al"})


def name_tokens(*names: str | None) -> set[str]:
    """The folded words (3 letters or more, particles aside) of the given names."""
    words = {fold(w) for name in names if name for w in _WORD.findall(name)}
    return {w for w in words if len(w) >= 3 and w not in PARTICLES}


def hash_sql(kind: str, value: str) -> str:
    """SQL: the salted hash of `value` (an expression chosen by code) as `suppression_hash` computes
    it; the salt is the session variable `mdm_salt` (`set_salt_sql`)."""
    return f"sha256(concat(getvariable('mdm_salt'), chr(31), '{kind}', chr(31), {value}))"


@dataclass
class Targets:
    """Salted hashes per kind; see the module docstring."""

    salt: str
    hashes: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, values: Iterable[str | None]) -> Targets:
        bucket = self.hashes.setdefault(kind, set())
        bucket.update(suppression_hash(kind, v, self.salt) for v in values if v)
        return self

    def add_emails(self, emails: Iterable[str]) -> Targets:
        """An e-mail as written and as its mailbox (the Gmail variant is the same person)."""
        return self.add("email", [form for e in emails for form in {e, mailbox(e)}])

    def has(self, kind: str, value: str) -> bool:
        return suppression_hash(kind, value, self.salt) in self.hashes.get(kind, set())

    def of(self, kind: str) -> list[str]:
        return sorted(self.hashes.get(kind, set()))

    def as_json(self) -> dict[str, list[str]]:
        return {kind: self.of(kind) for kind in KINDS if self.hashes.get(kind)}

    @classmethod
    def from_json(cls, salt: str, data: dict[str, list[str]]) -> Targets:
        return cls(salt, {kind: set(values) for kind, values in data.items()})

    def scrubs_text(self) -> bool:
        return any(self.hashes.get(kind) for kind in ("email", "phone", "token"))

    def scrub(self, text: str | None) -> str | None:
        """`text` without the erased e-mails, phones and name words (each replaced by `[erased]`)."""
        if not text or not self.scrubs_text():
            return text
        out = EMAIL_PATTERN.sub(lambda m: self._email(m.group(0)), text)
        out = _PHONE.sub(lambda m: ERASED if self._phone(m.group(0)) else m.group(0), out)
        return _WORD.sub(lambda m: ERASED if self.has("token", fold(m.group(0))) else m.group(0), out)

    def _email(self, found: str) -> str:
        """An e-mail-looking run, possibly glued to other text (`export_jean@x.fr.csv`): try every
        local part after a separator and every domain ending at a dot; replace the erased one."""
        local, _, domain = found.rpartition("@")
        starts = [0] + [i + 1 for i, c in enumerate(local) if c in "_-"]
        parts = domain.split(".")
        for start in starts:
            for end in range(len(parts), 1, -1):
                candidate = f"{local[start:]}@{'.'.join(parts[:end])}"
                if self.has("email", mailbox(candidate)) or self.has("email", candidate.lower()):
                    return f"{local[:start]}{ERASED}{found[len(local) + 1 + len('.'.join(parts[:end])):]}"
        return found

    def _phone(self, found: str) -> bool:
        try:
            parsed = phonenumbers.parse(found, "FR")
        except phonenumbers.NumberParseException:
            return False
        return self.has("phone", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
