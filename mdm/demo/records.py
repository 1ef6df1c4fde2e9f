"""Source records: copies of the true people, spread over sources, with the errors real files have.

`build_records` returns one row per generated record, in a source-neutral form (first and last
name, email, national phone number and its style, address parts, birth date as integer parts so
that 31/02 can exist, activity dates), plus `person` (the truth) and `errors` (a bit mask over
`ERROR_KINDS`). Writers (`mdm.demo.writers`, `benchmarks.datagen`) turn it into each source's layout.
Everything is vectorised over records; see `mdm.demo.textops` for why that stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from mdm.demo import people as P
from mdm.demo.people import Population
from mdm.demo.textops import (
    NUMBERS,
    cat,
    email_part,
    fold_accents,
    objects,
    per_distinct,
    pick,
    typo_array,
    where_obj,
)
from mdm.demo.vocab import DOMAIN_TYPOS, NICKNAMES, ROLE_LOCALS

#: Every kind of error the generator introduces, in bit order of the `errors` column.
ERROR_KINDS: tuple[str, ...] = (
    "typo_first_name",
    "typo_last_name",
    "accents_dropped",
    "names_swapped",
    "nickname",
    "upper_case",
    "empty_name",
    "changed_surname",
    "moved_address",
    "missing_email",
    "missing_phone",
    "missing_address",
    "missing_birth_date",
    "invalid_email",
    "email_domain_typo",
    "role_email",
    "impossible_date",
    "future_birth_date",
    "birth_year_1850",
    "day_month_swapped",
    "stale_prospect",
    "unacceptable",
)
ERROR_BIT: dict[str, int] = {kind: 1 << i for i, kind in enumerate(ERROR_KINDS)}

#: Share of eligible records that get each error (eligible = the source has the field, the value
#: exists, and the error can apply: a nickname needs a first name that has one). For
#: `changed_surname` and `moved_address` the share is of eligible *people* (women, resp. anyone,
#: with two or more records carrying the field); one of their records gets the old value.
RATES: dict[str, float] = {
    "typo_first_name": 0.02,
    "typo_last_name": 0.025,
    "accents_dropped": 0.25,  # of records whose names carry an accent
    "names_swapped": 0.02,
    "nickname": 0.08,  # of records whose first name has a usual diminutive
    "upper_case": 0.03,
    "empty_name": 0.01,
    "changed_surname": 0.10,
    "moved_address": 0.10,
    "missing_email": 0.06,
    "missing_phone": 0.08,
    "missing_address": 0.04,
    "missing_birth_date": 0.10,
    "invalid_email": 0.012,
    "email_domain_typo": 0.012,
    "role_email": 0.01,
    "impossible_date": 0.005,
    "future_birth_date": 0.003,
    "birth_year_1850": 0.003,
    "day_month_swapped": 0.006,
    "stale_prospect": 0.25,  # of CRM prospects: last contact more than 3 years before the reference date
}

#: Fields a source can carry; errors only touch fields the source has.
FIELDS = frozenset({"title", "name", "first_name", "email", "phone", "address", "birth", "company", "status"})


@dataclass(frozen=True)
class SourcePlan:
    """How one source samples the population.

    `share`: chance that a person has a record here; `dup_rate`: chance of a second record for the
    same person in the same source (a customer created twice). `parts` split the source over files
    as (weight, event start date or None). `activity` picks the date model: crm, salon, webshop,
    newsletter or loyalty. `phone_styles`: weights over `mdm.demo.render.PHONE_STYLES`.
    """

    name: str
    share: float
    dup_rate: float
    fields: frozenset[str]
    activity: str
    key_prefix: str = ""
    key_width: int = 6
    parts: tuple[tuple[float, date | None], ...] = ((1.0, None),)
    phone_styles: tuple[float, ...] = (1.0,)
    unacceptable_ok: bool = False  # may hold the few rows with no name, email or phone
    extra: dict[str, object] = field(default_factory=dict)


def _p(weights: tuple[float, ...] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _membership(pop: Population, plans: list[SourcePlan], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(person, source index) per record: each person in at least one source, some twice in one."""
    n = pop.n
    has = np.stack([rng.random(n) < plan.share for plan in plans], axis=1)
    nowhere = ~has.any(axis=1)
    fallback = rng.choice(len(plans), size=n, p=_p(tuple(p.share for p in plans)))
    has[nowhere, fallback[nowhere]] = True
    persons: list[np.ndarray] = []
    sources: list[np.ndarray] = []
    for s, plan in enumerate(plans):
        base = np.flatnonzero(has[:, s])
        dup = base[rng.random(len(base)) < plan.dup_rate]
        both = np.concatenate([base, dup])
        persons.append(both)
        sources.append(np.full(len(both), s, dtype=np.int16))
    return np.concatenate(persons), np.concatenate(sources)


class _Builder:
    """Holds the record columns while errors are applied, one error kind per method."""

    def __init__(self, pop: Population, plans: list[SourcePlan], rng: np.random.Generator, seed: int,
                 reference_date: date) -> None:
        self.pop, self.plans, self.rng, self.seed = pop, plans, rng, seed
        self.ref = np.datetime64(reference_date, "D")
        self.reference_date = reference_date
        person, src = _membership(pop, plans, rng)
        self.person, self.src = person, src
        self.m = len(person)
        self.errors = np.zeros(self.m, dtype=np.int64)
        self.has = {f: np.array([f in p.fields for p in plans])[src] for f in FIELDS}

    def mark(self, kind: str, mask: np.ndarray) -> None:
        self.errors[mask] |= ERROR_BIT[kind]

    def source_is(self, activity: str) -> np.ndarray:
        return np.array([p.activity == activity for p in self.plans])[self.src]

    # --- identity -------------------------------------------------------------------------
    def names(self) -> None:
        """Name errors, kind by kind, drawn from the one seeded stream. Over 60 lines on purpose:
        the order of the draws is the demo data, and it reads here in one place."""
        pop, rng, person = self.pop, self.rng, self.person
        named = self.has["name"]
        last_idx = pop.last[person]
        # Changed surname: a married woman appears under her maiden name in one of her records.
        frame = pd.DataFrame({"person": person, "named": named})
        n_named = frame.groupby("person")["named"].transform("sum").to_numpy()
        age = (self.ref - pop.birth[person]).astype(np.int64) / 365.25
        eligible_people = np.zeros(pop.n, dtype=bool)
        eligible_people[person[named & (n_named >= 2) & pop.female[person] & (age >= 22)]] = True
        changed_people = pick(rng, eligible_people, RATES["changed_surname"])
        first_named = named & ~frame[named].duplicated("person").reindex(frame.index, fill_value=True).to_numpy()
        changed = first_named & changed_people[person]
        last_idx = np.where(changed, pop.maiden[person], last_idx)
        self.mark("changed_surname", changed)

        first = P.FIRST_NAMES[pop.first[person]]
        last = pop.surnames[last_idx]
        first_or_named = named | self.has["first_name"]

        has_nick = per_distinct(first, lambda s: "y" if s in NICKNAMES else "n") == "y"
        nick = pick(rng, first_or_named & has_nick, RATES["nickname"])
        first = np.where(nick, per_distinct(first, lambda s: NICKNAMES.get(s, s)), first)
        self.mark("nickname", nick)

        for kind, col in (("typo_first_name", "first"), ("typo_last_name", "last")):
            values = first if col == "first" else last
            mask = pick(rng, (first_or_named if col == "first" else named), RATES[kind])
            variants = rng.integers(0, 3, size=self.m)
            typed = values.copy()
            typed[mask] = typo_array(values[mask], variants[mask], self.seed)
            changed_mask = mask & (typed != values)
            self.mark(kind, changed_mask)
            if col == "first":
                first = typed
            else:
                last = typed

        swap = pick(rng, named, RATES["names_swapped"])
        first, last = np.where(swap, last, first), np.where(swap, first, last)
        self.mark("names_swapped", swap)

        folded_first = per_distinct(first, fold_accents)
        folded_last = per_distinct(last, fold_accents)
        accented = first_or_named & ((folded_first != first) | (named & (folded_last != last)))
        drop = pick(rng, accented, RATES["accents_dropped"])
        first = np.where(drop, folded_first, first)
        last = np.where(drop & named, folded_last, last)
        self.mark("accents_dropped", drop)

        upper = pick(rng, named, RATES["upper_case"])
        first = np.where(upper, per_distinct(first, str.upper), first)
        last = np.where(upper, per_distinct(last, str.upper), last)
        self.mark("upper_case", upper)

        empty = pick(rng, named, RATES["empty_name"])
        self.mark("empty_name", empty)
        # A source with only a first name (a newsletter) rarely has even that.
        first_only = self.has["first_name"] & ~named
        sparse = first_only & (rng.random(self.m) >= 0.2)
        self.first = where_obj(first_or_named & ~empty & ~sparse, first, None)
        name_bits = sum(ERROR_BIT[k] for k in ("nickname", "typo_first_name", "accents_dropped"))
        self.errors[sparse] &= ~name_bits
        self.last = where_obj(named & ~empty, last, None)
        self.title = objects(np.where(pop.female[person], "Mme", "M."))
        self.female = pop.female[person]

    # --- email ----------------------------------------------------------------------------
    def emails(self) -> None:
        pop, rng, person = self.pop, self.rng, self.person
        has = self.has["email"]
        newsletter = self.source_is("newsletter")
        local = pop.email_local[person]
        domain = P.DOMAINS[pop.email_domain[person]]

        typo_ok = has & per_distinct(domain, lambda d: "y" if d in DOMAIN_TYPOS else "n").__eq__("y")
        dtypo = pick(rng, typo_ok, RATES["email_domain_typo"])
        variant = NUMBERS[rng.integers(0, 5, size=self.m)]
        keyed = cat(domain, "|", variant)
        typo_domain = per_distinct(keyed, lambda k: _domain_typo(*k.split("|")))
        domain = np.where(dtypo, typo_domain, domain)
        self.mark("email_domain_typo", dtypo)

        role = pick(rng, has & ~newsletter & ~dtypo, RATES["role_email"])
        company = np.where(pop.company[person] >= 0, pop.company[person], rng.integers(0, len(P.COMPANY_DOMAINS), self.m))
        role_local = objects(np.array(ROLE_LOCALS, dtype=object)[rng.integers(0, len(ROLE_LOCALS), self.m)])
        local = np.where(role, role_local, local)
        domain = np.where(role, P.COMPANY_DOMAINS[company], domain)
        self.mark("role_email", role)

        email = cat(local, "@", domain)
        invalid = pick(rng, has & ~role & ~dtypo, RATES["invalid_email"])
        kind = rng.integers(0, 4, size=self.m)
        kind = np.where(newsletter & (kind == 2), 0, kind)  # "@orange.fr" would collide in the newsletter's key
        fname = per_distinct(objects(P.FIRST_NAMES[pop.first[person]]), email_part)
        lname = per_distinct(objects(pop.surnames[pop.last[person]]), email_part)
        broken = np.select(
            [kind == 0, kind == 1, kind == 2],
            [cat(local, "@"), cat(fname, " ", lname, "@", domain), cat("@", domain)],
            default=cat(local, "@", per_distinct(domain, lambda d: d.rsplit(".", 1)[0])),
        )
        email = np.where(invalid, broken, email)
        self.mark("invalid_email", invalid)

        missing = pick(rng, has & ~newsletter, RATES["missing_email"])
        self.mark("missing_email", missing)
        self.email = where_obj(has & ~missing, email, None)

    # --- phone ----------------------------------------------------------------------------
    def phones(self) -> None:
        pop, rng, person = self.pop, self.rng, self.person
        has = self.has["phone"]
        use_landline = (pop.landline[person] > 0) & self.source_is("crm") & (rng.random(self.m) < 0.3)
        number = np.where(use_landline, pop.landline[person], pop.mobile[person])
        missing = pick(rng, has, RATES["missing_phone"])
        self.mark("missing_phone", missing)
        self.phone = np.where(has & ~missing, number, 0)
        style = np.zeros(self.m, dtype=np.int16)
        for s, plan in enumerate(self.plans):
            rows = self.src == s
            style[rows] = rng.choice(len(plan.phone_styles), size=int(rows.sum()), p=_p(plan.phone_styles))
        self.phone_style = style

    # --- address --------------------------------------------------------------------------
    def addresses(self) -> None:
        pop, rng, person = self.pop, self.rng, self.person
        has = self.has["address"]
        frame = pd.DataFrame({"person": person, "has": has})
        n_addr = frame.groupby("person")["has"].transform("sum").to_numpy()
        eligible = np.zeros(pop.n, dtype=bool)
        eligible[person[has & (n_addr >= 2)]] = True
        movers = pick(rng, eligible, RATES["moved_address"])
        last_of_person = has & ~frame[has].duplicated("person", keep="last").reindex(frame.index, fill_value=True).to_numpy()
        moved = last_of_person & movers[person]
        self.mark("moved_address", moved)

        def both(attr: str) -> np.ndarray:
            return np.where(moved, getattr(pop.moved, attr)[person], getattr(pop.home, attr)[person])

        abbreviated = rng.random(self.m) < 0.15
        street_type = both("street_type")
        type_text = np.where(abbreviated, P.STREET_TYPE_ABBREVIATIONS[street_type], P.STREET_TYPES[street_type])
        line1 = cat(NUMBERS[both("number")], objects(np.where(both("bis"), " bis", "")), " ", type_text, " ",
                    P.STREET_NAMES[both("street")])
        line2_idx = both("line2")
        line2 = objects(np.where(line2_idx >= 0, P.LINE2[np.maximum(line2_idx, 0)], None))
        city = both("city")
        missing = pick(rng, has, RATES["missing_address"])
        self.mark("missing_address", missing)
        self.line1 = where_obj(has & ~missing, line1, None)
        self.line2 = where_obj(has & ~missing, line2, None)
        self.postcode = P.CITY_POSTCODES[city]
        self.city = P.CITY_NAMES[city]

    # --- birth date -----------------------------------------------------------------------
    def births(self) -> None:
        pop, rng, person = self.pop, self.rng, self.person
        has = self.has["birth"]
        born = pd.DatetimeIndex(pop.birth[person])
        y, mo, d = born.year.to_numpy().copy(), born.month.to_numpy().copy(), born.day.to_numpy().copy()
        taken = np.zeros(self.m, dtype=bool)
        textual = np.array(["date_text" in p.extra for p in self.plans])[self.src]

        def choose(kind: str, eligible: np.ndarray) -> np.ndarray:
            mask = pick(rng, eligible & ~taken, RATES[kind])
            taken[mask] = True
            self.mark(kind, mask)
            return mask

        impossible = choose("impossible_date", has & textual)
        d = np.where(impossible, np.where(rng.random(self.m) < 0.7, 31, 30), d)
        mo = np.where(impossible & (d == 30), 2, np.where(impossible, rng.choice([2, 4, 6, 9, 11], self.m), mo))
        future = choose("future_birth_date", has)
        y = np.where(future, self.reference_date.year + rng.integers(1, 4, self.m), y)
        ancient = choose("birth_year_1850", has)
        y = np.where(ancient, 1850, y)
        d = np.where(ancient & (mo == 2) & (d == 29), 28, d)
        swappable = has & (d <= 12) & (d != mo)
        swapped = choose("day_month_swapped", swappable)
        mo, d = np.where(swapped, d, mo), np.where(swapped, mo, d)
        missing = choose("missing_birth_date", has)
        gone = ~has | missing
        self.birth_y = np.where(gone, 0, y)
        self.birth_m = np.where(gone, 0, mo)
        self.birth_d = np.where(gone, 0, d)

    # --- activity dates -------------------------------------------------------------------
    def activity(self) -> None:
        rng, m, ref = self.rng, self.m, self.ref
        day = np.timedelta64(1, "D")
        created = np.full(m, np.datetime64("NaT"), dtype="datetime64[s]")
        last = created.copy()
        status = np.full(m, None, dtype=object)
        opt_in = np.zeros(m, dtype=bool)
        orders = np.zeros(m, dtype=np.int64)
        part = np.zeros(m, dtype=np.int16)
        seconds = rng.integers(8 * 3600, 22 * 3600, size=m).astype("timedelta64[s]")
        for s, plan in enumerate(self.plans):
            rows = np.flatnonzero(self.src == s)
            k = len(rows)
            if plan.activity == "crm":
                c = ref - (rng.random(k) * 12 * 365).astype(np.int64) * day
                st = rng.choice(np.array(["client", "prospect", "ancien client"], dtype=object), size=k, p=[0.55, 0.3, 0.15])
                lc = c + (rng.random(k) * (ref - c).astype(np.int64)).astype(np.int64) * day
                prospect = st == "prospect"
                stale = pick(rng, prospect, RATES["stale_prospect"])
                fresh = prospect & ~stale
                lc = np.where(stale, ref - (1096 + rng.integers(1, 900, k)) * day, lc)
                lc = np.where(fresh, ref - rng.integers(0, 1000, k) * day, lc)
                c = np.minimum(c, lc)
                self.mark("stale_prospect", _spread(rows, stale, m))
                created[rows], last[rows], status[rows] = c, lc, st
            elif plan.activity == "salon":
                which = rng.choice(len(plan.parts), size=k, p=_p(tuple(w for w, _ in plan.parts)))
                starts = np.array([np.datetime64(d or self.reference_date, "D") for _, d in plan.parts])
                visit = starts[which] + rng.integers(0, 3, k) * day
                created[rows], last[rows], part[rows] = visit, visit, which
                status[rows] = "prospect"
            elif plan.activity in ("webshop", "loyalty"):
                span = (8 if plan.activity == "webshop" else 10) * 365
                c = (ref - (rng.random(k) * span).astype(np.int64) * day).astype("datetime64[s]") + seconds[rows]
                lo = c + (rng.random(k) * (np.datetime64(self.reference_date, "s") - c).astype(np.int64)).astype("timedelta64[s]")
                n_orders = rng.geometric(0.35, size=k)
                never = rng.random(k) < 0.08
                created[rows], last[rows] = c, np.where(never, np.datetime64("NaT"), lo)
                orders[rows] = np.where(never, 0, n_orders)
                status[rows] = "client"
            elif plan.activity == "newsletter":
                c = ref - rng.integers(0, 7 * 365, k) * day
                created[rows], last[rows] = c, c
                opt_in[rows] = rng.random(k) < 0.85
            else:
                raise ValueError(f"unknown activity model {plan.activity!r}")
        self.created, self.last_activity, self.status = created, last, status
        self.opt_in, self.orders, self.part = opt_in, orders, part
        self.company = objects(np.where(self.pop.company[self.person] >= 0,
                                        P.COMPANY_NAMES[np.maximum(self.pop.company[self.person], 0)], None))

    # --- the unacceptable rows ------------------------------------------------------------
    def unacceptable(self, count: int) -> None:
        """Blank name, email and phone on `count` rows of sources that allow it; each is its own person."""
        ok = np.array([p.unacceptable_ok for p in self.plans])[self.src]
        candidates = np.flatnonzero(ok)
        if count <= 0 or len(candidates) == 0:
            return
        count = min(count, len(candidates), max(1, self.m // 50))  # a handful, even in a tiny data set
        rows = self.rng.choice(candidates, size=count, replace=False)
        rows.sort()
        self.first[rows] = None
        self.last[rows] = None
        self.email[rows] = None
        self.phone[rows] = 0
        self.line1[rows] = None
        self.line2[rows] = None
        self.birth_y[rows] = 0
        self.birth_m[rows] = 0
        self.birth_d[rows] = 0
        self.errors[rows] = ERROR_BIT["unacceptable"]
        self.person = self.person.copy()
        self.person[rows] = -1 - np.arange(len(rows))  # placeholders, numbered after everyone in frame()

    def frame(self) -> pd.DataFrame:
        ids = self.pop.person_ids()
        nobody = self.person < 0
        truth = np.where(nobody, int(ids.max(initial=-1)) + 1 + (-1 - self.person), ids[np.maximum(self.person, 0)])
        return pd.DataFrame({
            "person": truth,
            "source": objects([p.name for p in self.plans])[self.src],
            "part": self.part,
            "title": self.title,
            "female": self.female,
            "first_name": self.first,
            "last_name": self.last,
            "email": self.email,
            "phone": self.phone,
            "phone_style": self.phone_style,
            "line1": self.line1,
            "line2": self.line2,
            "postcode": self.postcode,
            "city": self.city,
            "birth_y": self.birth_y,
            "birth_m": self.birth_m,
            "birth_d": self.birth_d,
            "created": self.created,
            "last_activity": self.last_activity,
            "status": self.status,
            "opt_in": self.opt_in,
            "orders_count": self.orders,
            "company": self.company,
            "errors": self.errors,
        })


def _spread(rows: np.ndarray, mask: np.ndarray, m: int) -> np.ndarray:
    out = np.zeros(m, dtype=bool)
    out[rows[mask]] = True
    return out


def _domain_typo(domain: str, variant: str) -> str:
    options = DOMAIN_TYPOS.get(domain, (domain,))
    return options[int(variant) % len(options)]


def build_records(pop: Population, plans: list[SourcePlan], rng: np.random.Generator, seed: int,
                  reference_date: date, unacceptable: int = 0) -> pd.DataFrame:
    """All records of all sources, with errors and truth, in source order (not yet keyed or sorted)."""
    builder = _Builder(pop, plans, rng, seed, reference_date)
    builder.names()
    builder.emails()
    builder.phones()
    builder.addresses()
    builder.births()
    builder.activity()
    builder.unacceptable(unacceptable)
    return builder.frame()


def error_mask(errors: pd.Series | np.ndarray, kind: str) -> np.ndarray:
    """Rows of a records frame carrying one error kind."""
    return (np.asarray(errors) & ERROR_BIT[kind]) != 0
