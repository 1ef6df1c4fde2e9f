"""The true population: who the generated customers really are, before any source garbles them.

Every attribute is a numpy array over people (index = person number), drawn in one pass from a
seeded Generator, so a million people take a couple of seconds and the same seed gives the same
people. Records (`demo.records`) are then copies of these people with errors applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from demo import vocab
from demo.textops import NUMBERS, cat, email_part, objects, per_distinct

FIRST_NAMES = objects([n for n, _, _ in vocab.FIRST_NAMES])
FIRST_SEX = np.array([s for _, s, _ in vocab.FIRST_NAMES])
FIRST_WEIGHTS = np.array([w for _, _, w in vocab.FIRST_NAMES], dtype=np.float64)
CITY_POSTCODES = objects([p for p, _, _ in vocab.CITIES])
CITY_NAMES = objects([c for _, c, _ in vocab.CITIES])
CITY_WEIGHTS = np.array([w for _, _, w in vocab.CITIES], dtype=np.float64)
STREET_NAMES = objects(vocab.STREET_NAMES)
STREET_TYPES = objects([t for t, _, _ in vocab.STREET_TYPES])
STREET_TYPE_ABBREVIATIONS = objects([a for _, a, _ in vocab.STREET_TYPES])
STREET_TYPE_WEIGHTS = np.array([w for _, _, w in vocab.STREET_TYPES], dtype=np.float64)
LINE2 = objects(vocab.ADDRESS_LINE2)
DOMAINS = objects([d for d, _ in vocab.EMAIL_DOMAINS] + [d for _, d in vocab.COMPANIES])
CONSUMER_DOMAIN_WEIGHTS = np.array([w for _, w in vocab.EMAIL_DOMAINS], dtype=np.float64)
COMPANY_NAMES = objects([c for c, _ in vocab.COMPANIES])
COMPANY_DOMAINS = objects([d for _, d in vocab.COMPANIES])


#: Share of people who live with a partner also in the data (each couple counts twice).
HOUSEHOLD_SHARE = 0.08


def _p(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


@dataclass
class Address:
    """An address per person: number, street type and name, optional second line, city."""

    number: np.ndarray  # int, 1..199
    bis: np.ndarray  # bool: "12 bis"
    street_type: np.ndarray  # index into STREET_TYPES
    street: np.ndarray  # index into STREET_NAMES
    line2: np.ndarray  # index into LINE2, -1 = none
    city: np.ndarray  # index into CITIES


@dataclass
class Population:
    """The truth about `n` people. Names are indexes into the vocabularies; text is built on demand."""

    n: int
    female: np.ndarray
    first: np.ndarray  # index into FIRST_NAMES
    last: np.ndarray  # index into the surname table
    maiden: np.ndarray  # index into the surname table: a married woman's previous surname
    birth: np.ndarray  # datetime64[D]
    email_local: np.ndarray  # object: unique per person together with the domain
    email_domain: np.ndarray  # index into DOMAINS
    company: np.ndarray  # index into COMPANIES, -1 = none
    mobile: np.ndarray  # int in 600000000..689999999 or 730000000..799999999 (no leading 0)
    landline: np.ndarray  # int 100000000..599999999, 0 = none
    home: Address
    moved: Address  # where the person lives after moving (used by the "moved address" error)
    surnames: np.ndarray  # the surname table itself (object array), for convenience
    ids: np.ndarray | None = None  # truth ids when these people are a slice of a larger population

    def person_ids(self) -> np.ndarray:
        """The truth id of each person here (their index, unless this is a subset)."""
        return np.arange(self.n) if self.ids is None else self.ids

    def subset(self, idx: np.ndarray) -> Population:
        """Some of these people (for an incremental batch), keeping their truth ids."""
        def take(address: Address) -> Address:
            return Address(**{k: getattr(address, k)[idx] for k in address.__dataclass_fields__})

        return Population(
            n=len(idx), female=self.female[idx], first=self.first[idx], last=self.last[idx],
            maiden=self.maiden[idx], birth=self.birth[idx], email_local=self.email_local[idx],
            email_domain=self.email_domain[idx], company=self.company[idx], mobile=self.mobile[idx],
            landline=self.landline[idx], home=take(self.home), moved=take(self.moved), surnames=self.surnames,
            ids=self.person_ids()[idx],
        )

    def first_names(self, idx: np.ndarray | None = None) -> np.ndarray:
        return FIRST_NAMES[self.first if idx is None else self.first[idx]]

    def last_names(self, idx: np.ndarray | None = None) -> np.ndarray:
        return self.surnames[self.last if idx is None else self.last[idx]]


def make_addresses(rng: np.random.Generator, n: int) -> Address:
    return Address(
        number=np.minimum(1 + rng.geometric(0.035, size=n), 199),
        bis=rng.random(n) < 0.03,
        street_type=rng.choice(len(STREET_TYPES), size=n, p=_p(STREET_TYPE_WEIGHTS)),
        street=rng.integers(0, len(STREET_NAMES), size=n),
        line2=np.where(rng.random(n) < 0.18, rng.integers(0, len(LINE2), size=n), -1),
        city=rng.choice(len(CITY_NAMES), size=n, p=_p(CITY_WEIGHTS)),
    )


def _email_locals(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, birth_year: np.ndarray) -> np.ndarray:
    """Local parts built the ways people really build them: jean.martin, jmartin, jean.martin85, ..."""
    f = per_distinct(first, email_part)
    la = per_distinct(last, email_part)
    initial = per_distinct(f, lambda s: s[:1])
    yy = NUMBERS[birth_year % 100]
    yy = np.where(birth_year % 100 < 10, cat("0", yy), yy)
    digits = NUMBERS[rng.integers(1, 100, size=len(first))]
    styles = [
        (0.45, cat(f, ".", la)),
        (0.10, cat(f, la)),
        (0.14, cat(initial, la)),
        (0.12, cat(f, ".", la, yy)),
        (0.05, cat(la, ".", f)),
        (0.06, cat(f, "_", la)),
        (0.08, cat(f, la, digits)),
    ]
    choice = rng.choice(len(styles), size=len(first), p=_p(np.array([w for w, _ in styles])))
    out = styles[0][1].copy()
    for i, (_, values) in enumerate(styles[1:], start=1):
        out = np.where(choice == i, values, out)
    return objects(out)


def _make_unique(local: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Two different people never share a mailbox: a second jean.martin@gmail.com becomes jean.martin2@."""
    local = local.copy()
    for _ in range(10):
        frame = pd.DataFrame({"local": local, "domain": domain})
        rank = frame.groupby(["local", "domain"], sort=False).cumcount().to_numpy()
        clash = rank > 0
        if not clash.any():
            return local
        local[clash] = cat(local[clash], NUMBERS[rank[clash] + 1])
    raise RuntimeError("could not make email addresses unique")


def make_population(n: int, rng: np.random.Generator, reference_date: date) -> Population:
    """Draw `n` people. Ages 18-90 (weighted towards 30-70), French name and place frequencies."""
    surnames, surname_p = vocab.surname_table()
    female = rng.random(n) < 0.52
    female_p = _p(np.where(FIRST_SEX == "F", FIRST_WEIGHTS, 0.0))
    male_p = _p(np.where(FIRST_SEX == "M", FIRST_WEIGHTS, 0.0))
    first = np.where(
        female,
        rng.choice(len(FIRST_NAMES), size=n, p=female_p),
        rng.choice(len(FIRST_NAMES), size=n, p=male_p),
    )
    last = rng.choice(len(surnames), size=n, p=surname_p)
    maiden = rng.choice(len(surnames), size=n, p=surname_p)
    maiden = np.where(maiden == last, (maiden + 1) % len(surnames), maiden)

    # Households: couples share an address and a landline, most also a surname (her maiden name is
    # then her own). Different people, same street and phone: the classic false match.
    pairs = rng.permutation(n)[: 2 * int(n * HOUSEHOLD_SHARE)].reshape(2, -1)
    head, partner = pairs[0], pairs[1]
    same_name = rng.random(len(partner)) < 0.7
    married = partner[same_name & female[partner]]
    maiden[married] = last[married]
    last[partner[same_name]] = last[head[same_name]]

    ref = np.datetime64(reference_date, "D")
    age_years = rng.normal(48, 16, size=n)
    outside = (age_years < 18) | (age_years > 90)
    age_years[outside] = rng.uniform(18, 90, size=int(outside.sum()))  # redraw: clipping would pile up birthdays
    birth = ref - (age_years * 365.25).astype("timedelta64[D]")
    birth_year = pd.DatetimeIndex(birth).year.to_numpy()

    company = np.where(rng.random(n) < 0.3, rng.integers(0, len(COMPANY_NAMES), size=n), -1)
    n_consumer = len(vocab.EMAIL_DOMAINS)
    domain = rng.choice(n_consumer, size=n, p=_p(CONSUMER_DOMAIN_WEIGHTS))
    works_mail = (company >= 0) & (rng.random(n) < 0.12)
    domain = np.where(works_mail, n_consumer + company, domain)
    local = _email_locals(rng, FIRST_NAMES[first], surnames[last], birth_year)
    local = _make_unique(local, domain)

    # Allocated French mobile ranges only: 060-068 and 073-079 (069x are overseas numbers and
    # 070-072 are unallocated: phonenumbers rightly rejects them for +33).
    is_06 = rng.random(n) < 0.8
    mobile = np.where(is_06, 600_000_000, 730_000_000) + rng.integers(0, 70_000_000, size=n) + np.where(
        is_06, rng.integers(0, 2, size=n) * 20_000_000, 0
    )
    has_landline = rng.random(n) < 0.3
    landline = np.where(has_landline, rng.integers(1, 6, size=n) * 100_000_000 + rng.integers(0, 100_000_000, size=n), 0)
    landline[partner] = landline[head]
    home, moved = make_addresses(rng, n), make_addresses(rng, n)
    for address in (home, moved):
        for name in address.__dataclass_fields__:
            values = getattr(address, name)
            values[partner] = values[head]

    return Population(
        n=n,
        female=female,
        first=first,
        last=last,
        maiden=maiden,
        birth=birth,
        email_local=local,
        email_domain=domain,
        company=company,
        mobile=mobile,
        landline=landline,
        home=home,
        moved=moved,
        surnames=surnames,
    )
