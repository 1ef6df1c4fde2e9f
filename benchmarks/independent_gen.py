"""A person generator independent of ours, to check that the matcher generalises.

`benchmarks/datagen.py` makes the data our own benchmarks use, and a matcher tuned on it could
learn its habits. This one shares none of its code or tables: names come from Faker's French,
German, British and Spanish lists (not our weighted French statistics), and the errors follow a
GeCo-like model of its own (keyboard and OCR typos, dropped accents, upper case, swapped names,
Excel-stripped postcodes, reformatted and mistyped phones, e-mail typos and second addresses,
moves, day/month swaps, year slips, missing values), drawn independently per field. A quarter of
the people live in households of two to four (a shared address and landline, often the surname,
sometimes a family e-mail; partners, children 20-38 years younger, and twins).

It writes a canonical CSV (`mdm evaluate`'s and `../shared/benchmarks/splink_baseline.py`'s
input) with the truth in `person_id`. Faker is not a dependency of the product: run it in a venv
of its own, like the Splink baseline::

    uv venv benchmarks/.venv-faker && uv pip install --python benchmarks/.venv-faker/bin/python faker
    benchmarks/.venv-faker/bin/python benchmarks/independent_gen.py --people 100000 --seed 2 \\
        --out benchmarks/data/independent-100000-s2.csv
    .venv/bin/mdm evaluate benchmarks/data/independent-100000-s2.csv --truth-column person_id

Figures are in docs/matching.md §9 ("An independent generator").
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

LOCALES = ("fr_FR",) * 8 + ("de_DE", "en_GB", "es_ES")
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "yahoo.fr", "hotmail.com", "laposte.net", "sfr.fr", "outlook.fr")
SOURCES = ("crm", "eshop", "salon", "newsletter", "erp")
#: Records per person (1 to 5) and their weights.
RECORDS_PER_PERSON = ((1, 2, 3, 4, 5), (55, 25, 11, 6, 3))
#: The key to the right of each letter on an AZERTY keyboard (the last of a row: to its left).
AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
NEIGHBOUR = {row[i]: row[i + 1] if i + 1 < len(row) else row[i - 1] for row in AZERTY_ROWS for i in range(len(row))}
OCR = {"m": "rn", "l": "1", "o": "0", "e": "c", "i": "l", "S": "5", "B": "8"}
#: No customer is younger than 18 on the day the files describe (2026).
LATEST_BIRTH = date(2008, 1, 1)
#: What `--default-birth-date SHARE` writes: a form's default date, as CRMs keep them.
DEFAULT_BIRTH_DATE = "1970-01-01"
COLUMNS = ("record_id", "source", "first_name", "last_name", "email", "phone", "street", "postcode", "city",
           "country", "birth_date", "person_id")


@dataclass
class Person:
    pid: int
    first: str
    last: str
    dob: date
    email: str
    mobile: str
    landline: str
    street: str
    postcode: str
    city: str


class Generator:
    """People, households and their records, from one seed."""

    def __init__(self, seed: int, default_date_share: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.default_date_share = default_date_share
        self.fakers = {loc: Faker(loc) for loc in sorted(set(LOCALES))}
        for i, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed * 10 + i)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def address(self) -> tuple[str, str, str]:
        fr = self.fakers["fr_FR"]
        return fr.street_address(), fr.postcode(), fr.city()

    def person(self, pid: int, household: Person | None = None) -> Person:
        """A person; in `household` (its first member), sharing its address, landline, often its surname."""
        faker = self.fakers[self.rng.choice(LOCALES)]
        first = faker.first_name()
        last = household.last if household and self.rng.random() < 0.85 else faker.last_name()
        dob = self.birth_date(household)
        user = self.rng.choice((f"{fold(first)}.{fold(last)}", f"{fold(first)[0]}{fold(last)}",
                                f"{fold(last)}{dob.year % 100:02d}", f"{fold(first)}{self.rng.randint(1, 999)}"))
        email = f"{user.lower().replace(' ', '').replace(chr(39), '')}@{self.rng.choice(DOMAINS)}"
        if household and self.rng.random() < 0.3:
            email = household.email          # a family address
        street, postcode, city = (household.street, household.postcode, household.city) if household \
            else self.address()
        landline = household.landline if household else "0" + self.rng.choice("12345") + self.digits(8)
        mobile = "0" + self.rng.choice("67") + self.digits(8)
        return Person(pid, first, last, dob, email, mobile, landline, street, postcode, city)

    def birth_date(self, household: Person | None) -> date:
        if household is None:
            return date(1935, 1, 1) + timedelta(days=self.rng.randint(0, 70 * 365))
        kind = self.rng.random()
        child = household.dob + timedelta(days=self.rng.randint(20 * 365, 38 * 365))
        if kind < 0.93 and (kind < 0.4 or child > LATEST_BIRTH):     # a partner, up to 8 years apart
            gap = timedelta(days=self.rng.randint(0, 3000))
            later = household.dob + gap
            return later if self.rng.random() < 0.5 and later <= LATEST_BIRTH else household.dob - gap
        return child if kind < 0.93 else household.dob                # a child, or a twin

    def people(self, count: int) -> list[Person]:
        out: list[Person] = []
        while len(out) < count:
            head = self.person(len(out))
            out.append(head)
            if self.rng.random() < 0.25:
                for _ in range(self.rng.choice((1, 1, 2, 3))):
                    out.append(self.person(len(out), head))
        return out

    def typo(self, text: str) -> str:
        """One deletion, insertion, neighbouring key or swap, never on the first letter."""
        if len(text) < 3:
            return text
        i = self.rng.randrange(1, len(text))
        kind = self.rng.random()
        if kind < 0.3:
            return text[:i] + text[i + 1:]
        if kind < 0.55:
            return text[:i] + self.rng.choice("aeioulnrst") + text[i:]
        if kind < 0.8:
            return text[:i] + NEIGHBOUR.get(text[i].lower(), text[i]) + text[i + 1:]
        return text[:i] + text[i + 1] + text[i] + text[i + 2:] if i < len(text) - 1 else text

    def ocr(self, text: str) -> str:
        hits = [c for c in text if c in OCR]
        return text.replace(c := self.rng.choice(hits), OCR[c], 1) if hits else self.typo(text)

    def phone_format(self, number: str) -> str:
        """The same French number as people write it (number: ten digits)."""
        pairs = [number[i:i + 2] for i in range(0, 10, 2)]
        return self.rng.choice((number, " ".join(pairs), ".".join(pairs), "+33 " + number[1] + " " + " ".join(pairs[1:]),
                                "0033" + number[1:], number[1:]))

    def record(self, p: Person, first: bool) -> dict[str, Any]:
        """A record of `p`: the first as it is, the others with independent errors per field."""
        phone = p.mobile if self.rng.random() < 0.7 else p.landline
        r = {"first_name": p.first, "last_name": p.last, "email": p.email, "phone": phone, "street": p.street,
             "postcode": p.postcode, "city": p.city, "birth_date": p.dob.isoformat()}
        if not first:
            self.names(r)
            self.contact(r, p)
            self.place(r)
            r["birth_date"] = self.date_error(p.dob)
        r["phone"] = self.phone_format(r["phone"]) if r["phone"] else ""
        return r

    def names(self, r: dict[str, Any]) -> None:
        for key in ("first_name", "last_name"):
            x = self.rng.random()
            if x < 0.07:
                r[key] = self.typo(r[key])
            elif x < 0.09:
                r[key] = self.ocr(r[key])
            elif x < 0.17:
                r[key] = fold(r[key])
            elif x < 0.22:
                r[key] = r[key].upper()
        if self.rng.random() < 0.02:
            r["first_name"], r["last_name"] = r["last_name"], r["first_name"]

    def contact(self, r: dict[str, Any], p: Person) -> None:
        local, domain = p.email.split("@")
        x = self.rng.random()
        if x < 0.12:
            r["email"] = ""
        elif x < 0.18:
            r["email"] = f"{self.typo(local)}@{domain}"
        elif x < 0.22:
            r["email"] = f"{local}@{self.typo(domain)}"
        elif x < 0.30:
            r["email"] = f"{fold(p.first).lower()}{self.rng.randint(1, 99)}@{self.rng.choice(DOMAINS)}"
        x = self.rng.random()
        if x < 0.15:
            r["phone"] = ""
        elif x < 0.2:
            i = self.rng.randrange(2, 10)
            r["phone"] = r["phone"][:i] + self.rng.choice("0123456789") + r["phone"][i + 1:]

    def place(self, r: dict[str, Any]) -> None:
        x = self.rng.random()
        if x < 0.10:
            r["street"], r["postcode"], r["city"] = self.address()     # moved
        elif x < 0.2:
            r["street"] = self.typo(r["street"])
        elif x < 0.25:
            r["postcode"] = r["postcode"].lstrip("0")                  # Excel
        elif x < 0.3:
            r["street"] = ""

    def date_error(self, dob: date) -> str:
        if self.rng.random() < self.default_date_share:
            return DEFAULT_BIRTH_DATE      # a form's default, kept as if typed
        x = self.rng.random()
        if x < 0.15:
            return ""
        if x < 0.19 and dob.day <= 12:
            return date(dob.year, dob.day, dob.month).isoformat()
        if x < 0.23 and not (dob.month == 2 and dob.day == 29):
            return dob.replace(year=dob.year + self.rng.choice((-10, -1, 1, 10))).isoformat()
        if x < 0.26:
            return dob.replace(day=min(28, max(1, dob.day + self.rng.choice((-1, 1, 10, -10))))).isoformat()
        return dob.isoformat()


def fold(text: str) -> str:
    """`text` without accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def write(people: list[Person], gen: Generator, out: Path) -> int:
    rows = []
    for p in people:
        count = gen.rng.choices(*RECORDS_PER_PERSON)[0]
        for k in range(count):
            rows.append(gen.record(p, first=k == 0) | {"person_id": p.pid, "source": gen.rng.choice(SOURCES),
                                                        "country": "FR"})
    return write_shuffled(rows, gen, out, COLUMNS, "x")


def write_shuffled(rows: list[dict[str, Any]], gen: Generator, out: Path, columns: tuple[str, ...], prefix: str) -> int:
    """Write `rows` in a random order (a file's order says nothing about who is who), each with a
    `record_id` made of `prefix` and its line number; return how many."""
    gen.rng.shuffle(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow(row | {"record_id": f"{prefix}{i}"})
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--default-birth-date", type=float, default=0.0, metavar="SHARE",
                        help=f"share of duplicate records whose birth date is a form's default ({DEFAULT_BIRTH_DATE})")
    args = parser.parse_args(argv)
    gen = Generator(args.seed, args.default_birth_date)
    people = gen.people(args.people)
    print(f"{write(people, gen, args.out)} records of {len(people)} people -> {args.out}")


if __name__ == "__main__":
    main()
