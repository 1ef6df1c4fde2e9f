"""The true population: who the generated customers really are, before any source garbles them.

Every attribute is a numpy array over people (index = person number), drawn in one pass from a
seeded Generator, so a million people take a couple of seconds and the same seed gives the same
people. Records (`mdm.demo.records`) are then copies of these people with errors applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from mdm.demo import vocab
from mdm.demo.textops import NUMBERS, cat, email_part, objects, per_distinct

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


#: Couples in the data, per person: 0.08 means 8 couples per 100 people, so 16 % of people live
#: with a partner also in the data (same home, same landline, and they move together).
COUPLE_SHARE = 0.08
#: Share of couples who share a surname (a married woman's maiden name is then her own former name).
COUPLE_SURNAME_SHARE = 0.7
#: Share of people who are the adult child of another person in the data, living at the parent's
#: address (same surname, home and landline): brothers, sisters and parents share all of that.
CHILD_SHARE = 0.08
#: Share of those children who are twins of a sibling also in the data (so one pair per two).
TWIN_SHARE = 0.06
#: Share of the other children who carry their same-sex parent's first name (Jr and Sr).
JUNIOR_SHARE = 0.06
#: Share of couples who give one common e-mail address, and of children who give a parent's. With
#: the role mailboxes (contact@ a company) this makes about 0.9 % of the e-mail addresses in the
#: records held by two or more people, the share measured in a real customer base (issue 17).
COUPLE_EMAIL_SHARE = 0.06
CHILD_EMAIL_SHARE = 0.05
#: Share of shared mailboxes that are named after the family (famille.martin@) rather than after
#: the person who opened it (jean.martin@, then also given by his wife and son).
FAMILY_MAILBOX_SHARE = 0.5
#: A parent is at least this old, and 20 to 45 years older than the child (children are 18+).
PARENT_MIN_AGE, GENERATION_GAP = 40, (20.0, 45.0)

#: `Population.kin` codes: how a person is tied to `Population.relative`.
KIN_NONE, KIN_PARTNER, KIN_CHILD, KIN_TWIN, KIN_JUNIOR = 0, 1, 2, 3, 4


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
    kin: np.ndarray  # int8 KIN_* code: partner, child, twin or junior of `relative`, or nobody's
    relative: np.ndarray  # index (in the whole population) of the person copied from, -1 = none
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
            kin=self.kin[idx], relative=self.relative[idx], ids=self.person_ids()[idx],
        )

    def kin_counts(self) -> dict[str, int]:
        """What the generator made (the truth): couples, adult children, twin and junior pairs, and
        the mailboxes two or more people share, for the manifest and the docs."""
        counts = np.bincount(self.kin, minlength=KIN_JUNIOR + 1)
        mailboxes = pd.DataFrame({"local": self.email_local, "domain": self.email_domain})
        holders = mailboxes.groupby(["local", "domain"], sort=False).size()
        return {
            "couples": int(counts[KIN_PARTNER]),
            "children": int(counts[KIN_CHILD] + counts[KIN_TWIN] + counts[KIN_JUNIOR]),
            "twin_pairs": int(counts[KIN_TWIN]),
            "junior_pairs": int(counts[KIN_JUNIOR]),
            "shared_mailboxes": int((holders >= 2).sum()),
        }

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


@dataclass
class Households:
    """Who lives with whom: couples (`head`, `partner`) and adult children living with a parent.

    `child[i]` copies from `parent[i]`; the second twin of each pair is a child whose parent and
    birth date are its twin's. `twin` and `junior` are masks over `child`.
    """

    head: np.ndarray
    partner: np.ndarray
    parent: np.ndarray
    child: np.ndarray
    twin: np.ndarray  # bool over child: the second twin of a pair (copied from the previous child)
    junior: np.ndarray  # bool over child: carries the same-sex parent's first name


def _first_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """A first name per person, drawn from the names of their sex at their weights."""
    female_p = _p(np.where(FIRST_SEX == "F", FIRST_WEIGHTS, 0.0))
    male_p = _p(np.where(FIRST_SEX == "M", FIRST_WEIGHTS, 0.0))
    n = len(female)
    return np.where(female, rng.choice(len(FIRST_NAMES), size=n, p=female_p),
                    rng.choice(len(FIRST_NAMES), size=n, p=male_p))


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ages in years, 18-90, normal around 48 (redrawn outside: clipping would pile up birthdays)."""
    age_years = rng.normal(48, 16, size=n)
    outside = (age_years < 18) | (age_years > 90)
    age_years[outside] = rng.uniform(18, 90, size=int(outside.sum()))
    return age_years


def _households(rng: np.random.Generator, age_years: np.ndarray) -> Households:
    """Draw couples, then adult children (some twins, some juniors) among the people not in a couple.

    A parent is anyone aged `PARENT_MIN_AGE`+ who is not a child here, drawn with replacement, so
    some parents have several children (siblings at one address).
    """
    n = len(age_years)
    order = rng.permutation(n)
    n_couples = int(n * COUPLE_SHARE)
    head, partner = order[:n_couples], order[n_couples : 2 * n_couples]
    n_children = int(n * CHILD_SHARE)
    child = order[2 * n_couples : 2 * n_couples + n_children]
    is_child = np.zeros(n, dtype=bool)
    is_child[child] = True
    pool = np.flatnonzero((age_years >= PARENT_MIN_AGE) & ~is_child)
    parent = rng.choice(pool, size=len(child)) if len(pool) else np.empty(0, dtype=np.int64)
    child = child[: len(parent)]
    twin = np.zeros(len(child), dtype=bool)
    pairs = int(len(child) * TWIN_SHARE / 2)
    twin[1 : 2 * pairs : 2] = True  # child 2k+1 is the twin of child 2k
    parent[twin] = parent[np.flatnonzero(twin) - 1]
    junior = ~twin & (rng.random(len(child)) < JUNIOR_SHARE)
    junior[np.flatnonzero(twin) - 1] = False  # a twin's own name is drawn apart from its sibling's
    return Households(head=head, partner=partner, parent=parent, child=child, twin=twin, junior=junior)


def _child_births(rng: np.random.Generator, ages: np.ndarray, h: Households) -> None:
    """Children are a generation younger than their parent (and 18+); twins share a birth age."""
    parent_age = ages[h.parent]
    gap = rng.uniform(GENERATION_GAP[0], np.minimum(GENERATION_GAP[1], parent_age - 18))
    ages[h.child] = parent_age - gap
    twins = np.flatnonzero(h.twin)
    ages[h.child[twins]] = ages[h.child[twins - 1]]


def _family_names(rng: np.random.Generator, female: np.ndarray, first: np.ndarray, last: np.ndarray,
                  maiden: np.ndarray, h: Households) -> None:
    """Couples mostly share a surname; children carry the parent's; juniors also the first name."""
    same_name = rng.random(len(h.partner)) < COUPLE_SURNAME_SHARE
    married = h.partner[same_name & female[h.partner]]
    maiden[married] = last[married]
    last[h.partner[same_name]] = last[h.head[same_name]]
    last[h.child] = last[h.parent]
    juniors, seniors = h.child[h.junior], h.parent[h.junior]
    female[juniors] = female[seniors]
    first[juniors] = first[seniors]
    second, first_twin = h.child[h.twin], h.child[np.flatnonzero(h.twin) - 1]
    for _ in range(20):  # twins get different first names: redraw the few that clash
        clash = first[second] == first[first_twin]
        if not clash.any():
            break
        first[second[clash]] = _first_names(rng, female[second[clash]])


def _kinship(n: int, h: Households) -> tuple[np.ndarray, np.ndarray]:
    """(`kin` code, `relative` index) per person, from the households."""
    kin = np.full(n, KIN_NONE, dtype=np.int8)
    relative = np.full(n, -1, dtype=np.int64)
    kin[h.partner], relative[h.partner] = KIN_PARTNER, h.head
    kin[h.child], relative[h.child] = KIN_CHILD, h.parent
    kin[h.child[h.junior]] = KIN_JUNIOR
    twins = np.flatnonzero(h.twin)
    kin[h.child[twins]], relative[h.child[twins]] = KIN_TWIN, h.child[twins - 1]
    return kin, relative


def _family_locals(rng: np.random.Generator, last: np.ndarray) -> np.ndarray:
    """Mailboxes named after a family: famille.martin, martin.famille, lesmartin, famillemartin."""
    la = per_distinct(last, email_part)
    styles = [cat("famille.", la), cat(la, ".famille"), cat("les", la), cat("famille", la)]
    choice = rng.integers(0, len(styles), size=len(last))
    return objects(np.choose(choice, styles))


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, birth_year: np.ndarray,
            company: np.ndarray, h: Households) -> tuple[np.ndarray, np.ndarray]:
    """(local part, domain index) per person: one's own, unique, except the mailboxes households share.

    Some couples give one common address, and some children a parent's: the address is the
    owner's own (jean.martin@) or a family one (famille.martin@), and is then held by 2-4 people.
    """
    n_consumer = len(vocab.EMAIL_DOMAINS)
    consumer = rng.choice(n_consumer, size=len(first), p=_p(CONSUMER_DOMAIN_WEIGHTS))
    works_mail = (company >= 0) & (rng.random(len(first)) < 0.12)
    domain = np.where(works_mail, n_consumer + company, consumer)
    local = _email_locals(rng, first, last, birth_year)
    couple_shares = rng.random(len(h.partner)) < COUPLE_EMAIL_SHARE
    child_shares = rng.random(len(h.child)) < CHILD_EMAIL_SHARE
    owners = np.concatenate([h.head[couple_shares], h.parent[child_shares]])
    family = owners[rng.random(len(owners)) < FAMILY_MAILBOX_SHARE]
    local[family] = _family_locals(rng, last[family])
    domain[family] = consumer[family]  # a family mailbox is never at an employer's domain
    local = _make_unique(local, domain)
    for takers, givers in ((h.partner[couple_shares], h.head[couple_shares]),
                           (h.child[child_shares], h.parent[child_shares])):
        local[takers], domain[takers] = local[givers], domain[givers]
    return local, domain


def _phones(rng: np.random.Generator, n: int, h: Households) -> tuple[np.ndarray, np.ndarray]:
    """(mobile, landline) per person; a household shares the landline (0 = none).

    Mobiles are drawn without replacement: a mobile line is one person's, so two strangers never
    share one (drawn at random, a million people would collide in about 0.3 % of numbers).
    """
    # Allocated French mobile ranges only: 060-068 and 073-079 (069x are overseas numbers and
    # 070-072 are unallocated: phonenumbers rightly rejects them for +33).
    is_06 = rng.random(n) < 0.8
    mobile = np.empty(n, dtype=np.int64)
    mobile[is_06] = 600_000_000 + rng.choice(90_000_000, size=int(is_06.sum()), replace=False)
    mobile[~is_06] = 730_000_000 + rng.choice(70_000_000, size=int((~is_06).sum()), replace=False)
    has_landline = rng.random(n) < 0.3
    landline = np.where(has_landline, rng.integers(1, 6, size=n) * 100_000_000 + rng.integers(0, 100_000_000, size=n), 0)
    landline[h.partner] = landline[h.head]
    landline[h.child] = landline[h.parent]
    return mobile, landline


def _share_address(address: Address, takers: np.ndarray, givers: np.ndarray) -> None:
    for name in address.__dataclass_fields__:
        values = getattr(address, name)
        values[takers] = values[givers]


def make_population(n: int, rng: np.random.Generator, reference_date: date) -> Population:
    """Draw `n` people: French name and place frequencies, couples, and adult children at home.

    Different people with the same street, phone, surname, even e-mail (a household), or the same
    first and last name (namesakes, a junior), or the same birth date at one address (twins), are
    the false matches a matcher must refuse; see docs/demo-data.md for the shares.
    """
    surnames, surname_p = vocab.surname_table()
    female = rng.random(n) < 0.52
    first = _first_names(rng, female)
    last = rng.choice(len(surnames), size=n, p=surname_p)
    maiden = rng.choice(len(surnames), size=n, p=surname_p)
    maiden = np.where(maiden == last, (maiden + 1) % len(surnames), maiden)
    age_years = _ages(rng, n)
    h = _households(rng, age_years)
    _child_births(rng, age_years, h)
    _family_names(rng, female, first, last, maiden, h)
    birth = np.datetime64(reference_date, "D") - (age_years * 365.25).astype("timedelta64[D]")
    birth_year = pd.DatetimeIndex(birth).year.to_numpy()

    company = np.where(rng.random(n) < 0.3, rng.integers(0, len(COMPANY_NAMES), size=n), -1)
    local, domain = _emails(rng, FIRST_NAMES[first], surnames[last], birth_year, company, h)
    mobile, landline = _phones(rng, n, h)
    home, moved = make_addresses(rng, n), make_addresses(rng, n)
    _share_address(home, h.partner, h.head)
    _share_address(moved, h.partner, h.head)  # a couple moves together; a grown-up child moves out
    _share_address(home, h.child, h.parent)
    kin, relative = _kinship(n, h)
    return Population(
        n=n, female=female, first=first, last=last, maiden=maiden, birth=birth, email_local=local,
        email_domain=domain, company=company, mobile=mobile, landline=landline, home=home, moved=moved,
        surnames=surnames, kin=kin, relative=relative,
    )
