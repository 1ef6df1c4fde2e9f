"""Comparisons: per field, an ordered list of levels from "missing" through exact to "different".

A pair falls in the first level whose condition holds; the level's index is the pair's *gamma*
for that comparison (0 = missing, so missing is neutral: neither agreement nor disagreement).
Conditions read the prepared columns of `matching/prepare.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from matching import levels as lv


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[lv.Level, ...]

    def gamma_sql(self) -> str:
        """SQL giving the level index of a pair (0 = missing)."""
        whens = " ".join(f"WHEN {level.sql} THEN {i}" for i, level in enumerate(self.levels[:-1]))
        return f"(CASE {whens} ELSE {len(self.levels) - 1} END)::TINYINT"

    @property
    def neutral(self) -> list[int]:
        """Level indexes that weigh 0: missing, or agreement already counted by another comparison."""
        return [i for i, level in enumerate(self.levels) if level.is_null]

    @property
    def weighed(self) -> list[int]:
        """Level indexes that carry a weight (every level but the neutral ones)."""
        return [i for i, level in enumerate(self.levels) if not level.is_null]

    @property
    def labels(self) -> list[str]:
        return [level.label for level in self.levels]

    @property
    def close(self) -> list[int]:
        """Level indexes of close agreement: exact, or give or take a slip (not neutral, weak or "different")."""
        return [i for i, level in enumerate(self.levels[:-1]) if not level.is_null and not level.weak]

    @property
    def household_index(self) -> int | None:
        """Index of the level a household's shared agreement is moved to (see `vector_sql`), if any."""
        return next((i for i, level in enumerate(self.levels) if level.household), None)

    @property
    def tf_columns(self) -> list[str]:
        """Prepared columns whose value frequency adjusts some level of this comparison, each once."""
        return list(dict.fromkeys(level.tf_column for level in self.levels if level.tf_column))

    def index_of(self, level: lv.Level) -> int:
        """Index of `level` (the very object, not a level with the same label); raises if absent."""
        for i, own in enumerate(self.levels):
            if own is level:
                return i
        raise ValueError(f"comparison {self.name} has no level {level.label!r}")


# Households: people who share an address, a landline or a family e-mail agree on those, and
# often on their surname, far more often than two random people do. Fellegi-Sunter treats each
# agreement as independent evidence, so a couple or a parent and child sharing all of them add up
# to "one person". When the fields that tell two people apart disagree outright (another first
# name, birth dates a generation apart), the agreements a household shares are
# moved to a neutral level: they say "one household", which is no evidence of one person.
HOUSEHOLD_LABEL = "shared by a household, another person (not counted)"
#: Birth years at least this far apart: another generation.
GENERATION_YEARS = 15
GENERATION_LABEL = f"a generation apart ({GENERATION_YEARS} years or more)"

#: The last level of every comparison: the values disagree. One object, so that a rule can name it
#: by identity (`Comparison.index_of`) and never by its label.
DIFFERENT = lv.else_level()
#: Birth dates a generation apart (parent and child, or namesakes): far stronger evidence of two
#: people than a date that is merely different.
GENERATION_APART = lv.custom(GENERATION_LABEL, f"abs(year(l.dob) - year(r.dob)) >= {GENERATION_YEARS}", weak=True)
#: Birth dates that agree on the year alone: another date, weakly alike.
SAME_YEAR = lv.custom("same year", "l.dob_year = r.dob_year", weak=True)


@dataclass(frozen=True)
class Unconfirmed:
    """In a household rule: the comparison does not confirm one person. Missing, or any level but
    the exact ones (those that name a `tf_column`: the same value, give or take accents)."""


UNCONFIRMED = Unconfirmed()


@dataclass(frozen=True)
class NotClose:
    """In a household rule: the comparison says nothing of one person. Missing, or at none of its
    close levels (`Comparison.close`): only weakly alike (an initial, the same year) or different."""


NOT_CLOSE = NotClose()

#: The household's own name at a shared address, when nothing of the person agrees closely
#: (`HouseholdRule.member_unknown`): neutral, and unlike `HOUSEHOLD_LABEL` no cannot-link.
MEMBER_UNKNOWN = lv.Level("shared by a household, the person not confirmed (not counted)", "FALSE", is_null=True)


#: What a household rule's combination asks of one comparison: a level (by identity), or a class of them.
Combined = lv.Level | Unconfirmed | NotClose


@dataclass(frozen=True)
class HouseholdRule:
    """When two records are one household but two people (see the comment above).

    `channels`: comparisons whose exact agreement (level 1) means "same household".
    `disagreements`: level combinations that each mean "another person", each level named by
    the object itself (`Comparison.index_of`), so that rewording a label cannot switch the rule off;
    `UNCONFIRMED` stands for every level of a comparison but its exact ones.
    `identifiers`: comparisons of an identifier issued to one person; their agreement (exact or one
    typo, levels 1-2) overrides the rule. `exact_overrides_cannot_link`: a comparison whose exact
    agreement keeps the pair from being a cannot-link (its own score decides).
    `per_channel`: (channel, combination) pairs that mean "another person" only where the records
    share that channel: many people live at one address, few share an e-mail, so weaker evidence
    of two people is enough at an address.
    `member_unknown`: (channel, combination) pairs that mean "some member of the household, which
    one unknown": the comparison `family_name` (the name a household shares) then moves to its
    level `MEMBER_UNKNOWN`, and nothing else changes. Not evidence of two people, so no cannot-link.
    """

    channels: tuple[str, ...]
    disagreements: tuple[Mapping[str, Combined], ...]
    identifiers: tuple[str, ...] = ()
    exact_overrides_cannot_link: str | None = None
    per_channel: tuple[tuple[str, Mapping[str, Combined]], ...] = ()
    member_unknown: tuple[tuple[str, Mapping[str, Combined]], ...] = ()
    family_name: str | None = None


#: Persons: same street, e-mail or phone; another first name, another generation, or another
#: surname *and* another birth date (one of them alone is a married name, or a typo). At one
#: address, also another birth date that no exact first name vouches for (siblings: Anika 2007 /
#: Aniylah 2010); a shared e-mail is nearly personal, and there it is a garbled duplicate as often.
#: At one e-mail, another birth date (or the same year only) *and* another postcode: nothing of
#: the person agrees but the name, and an address built from the name (jean.martin@...) can be any
#: Jean Martin's; one person with a garbled date still has the e-mail and the place, and one who
#: moved still has the date.
#: At one address where neither the first name nor the birth date agrees closely (a record with
#: neither, or with an initial), the surname is what the household shares: it is not counted.
PERSON_HOUSEHOLD = HouseholdRule(
    channels=("street", "email", "phone"),
    disagreements=(
        {"first_name": DIFFERENT},
        {"birth_date": GENERATION_APART},
        {"last_name": DIFFERENT, "birth_date": DIFFERENT},
    ),
    identifiers=("national_id",),
    exact_overrides_cannot_link="birth_date",
    per_channel=(
        ("street", {"first_name": UNCONFIRMED, "birth_date": DIFFERENT}),
        ("email", {"birth_date": DIFFERENT, "postcode": DIFFERENT}),
        ("email", {"birth_date": SAME_YEAR, "postcode": DIFFERENT}),
    ),
    member_unknown=(("street", {"first_name": NOT_CLOSE, "birth_date": NOT_CLOSE}),),
    family_name="last_name",
)


def household_level() -> lv.Level:
    """The neutral level household-shared agreements move to; CASE never picks it (FALSE)."""
    return lv.Level(HOUSEHOLD_LABEL, "FALSE", is_null=True, household=True)


# Cheap equality guards come first in each condition: DuckDB evaluates the costly similarity
# functions only on the rows an AND has not already ruled out.
_SWAPPED = (
    "l.fn_initial = r.ln_initial AND l.ln_initial = r.fn_initial AND l.fn <> l.ln"
    " AND jaro_winkler_similarity(l.fn, r.ln) >= 0.9 AND jaro_winkler_similarity(l.ln, r.fn) >= 0.9"
    " AND NOT (jaro_winkler_similarity(l.fn, r.fn) >= 0.9 AND jaro_winkler_similarity(l.ln, r.ln) >= 0.9)"
)


def _typo(column: str) -> str:
    """One edit, or two adjacent characters swapped (Damerau distance 1), without Damerau.

    DuckDB's `damerau_levenshtein` is about 5x slower than `levenshtein`, and `hamming` is far
    faster still. Equal lengths: one substitution (hamming 1) or a swap (hamming 2, same letters);
    lengths one apart: one insertion/deletion (levenshtein 1). CASE keeps hamming off rows of
    unequal length, where it would raise. The guard is `strlen` (bytes), not `length`
    (characters): `hamming` compares bytes, so "é" against "e" at the same character count
    would otherwise raise and stop the whole run.
    """
    return _typo_between(f"l.{column}", f"r.{column}")


def _typo_between(a: str, b: str) -> str:
    """`_typo` between any two SQL expressions (e.g. one record's first name, the other's last)."""
    return (
        f"(CASE WHEN strlen({a}) = strlen({b}) THEN (CASE WHEN hamming({a}, {b}) <= 1 THEN TRUE"
        f" WHEN hamming({a}, {b}) = 2 THEN list_sort(string_split({a}, '')) = list_sort(string_split({b}, ''))"
        f" ELSE FALSE END)"
        f" WHEN abs(length({a}) - length({b})) = 1 THEN levenshtein({a}, {b}) <= 1 ELSE FALSE END)"
    )


# One record's first name is the other's last name (give or take a typo): a name typed in the wrong box.
_CROSS = (
    f"(l.fn_initial = r.ln_initial AND (jaro_winkler_similarity(l.fn, r.ln) >= 0.92"
    f" OR {_typo_between('l.fn', 'r.ln')}))"
    f" OR (l.ln_initial = r.fn_initial AND (jaro_winkler_similarity(l.ln, r.fn) >= 0.92"
    f" OR {_typo_between('l.ln', 'r.fn')}))"
)


def name_comparison_first() -> Comparison:
    return Comparison(
        "first_name",
        (
            lv.null_level("fn"),
            lv.custom("exact", "l.fn_raw = r.fn_raw", tf_column="fn"),
            lv.custom("equal without accents", "l.fn = r.fn", tf_column="fn"),
            lv.custom("first and last name swapped", _SWAPPED),
            lv.custom(
                "equals the other record's last name (swapped)",
                _CROSS,
            ),
            lv.custom(
                "nickname or initials",
                "(len(l.fn_groups) > 0 AND len(r.fn_groups) > 0 AND list_has_any(l.fn_groups, r.fn_groups))"
                " OR l.fn = r.fn_inits OR r.fn = l.fn_inits OR l.fn_compact = r.fn_compact",
            ),
            lv.jaro_winkler("fn", 0.92, "very similar (jaro-winkler >= 0.92)"),
            # A typo in a short name ("tra" for "tara") stays below the Jaro-Winkler bar.
            lv.custom("one typo", _typo("fn")),
            lv.custom(
                "part of a compound name",
                "(l.fn_tokens[2] IS NOT NULL OR r.fn_tokens[2] IS NOT NULL)"
                " AND list_has_any(l.fn_tokens, r.fn_tokens)",
            ),
            lv.jaro_winkler("fn", 0.8, "similar (jaro-winkler >= 0.8)"),
            lv.custom("initial only", "(length(l.fn) = 1 OR length(r.fn) = 1) AND l.fn_initial = r.fn_initial", weak=True),
            DIFFERENT,
        ),
    )


def name_comparison_last() -> Comparison:
    return Comparison(
        "last_name",
        (
            # A swap is counted once, under first_name; counting it here too would double it.
            # Likewise when one record's first name is the other's last name: the last names then
            # compare a name with whatever filled the other box, which is no evidence either way.
            lv.Level(
                "missing, or swapped (see first_name)",
                f"l.ln IS NULL OR r.ln IS NULL OR ({_SWAPPED}) OR (l.fn <> r.fn AND ({_CROSS}))",
                is_null=True,
            ),
            lv.custom("exact", "l.ln_raw = r.ln_raw", tf_column="ln"),
            lv.custom("equal without accents", "l.ln = r.ln", tf_column="ln"),
            lv.jaro_winkler("ln", 0.92, "very similar (jaro-winkler >= 0.92)"),
            lv.custom(
                "shares a name (compound or married name)",
                "(l.ln_tokens[2] IS NOT NULL OR r.ln_tokens[2] IS NOT NULL) AND list_has_any(l.ln_tokens, r.ln_tokens)",
            ),
            lv.jaro_winkler("ln", 0.8, "similar (jaro-winkler >= 0.8)"),
            lv.custom("initial only", "(length(l.ln) = 1 OR length(r.ln) = 1) AND l.ln_initial = r.ln_initial", weak=True),
            MEMBER_UNKNOWN,
            household_level(),
            DIFFERENT,
        ),
    )


def email_comparison() -> Comparison:
    return Comparison(
        "email",
        (
            lv.null_level("email"),
            lv.exact("email", tf=True),
            lv.custom(
                "same local part, typo in domain",
                "l.email_local = r.email_local AND levenshtein(l.email_domain, r.email_domain) <= 2",
            ),
            # chantal.martin2@... and chantal.martin@... spell the same name: when both local parts
            # are just the record's names, their likeness repeats the name comparisons' evidence.
            lv.Level(
                "local parts spell the names (counted under the names)",
                "l.email_letters = r.email_letters AND l.email_spells_name AND r.email_spells_name",
                is_null=True,
            ),
            lv.custom(
                "typo in local part",
                "l.email_domain = r.email_domain AND " + _typo("email_local"),
            ),
            lv.custom("same local part, other domain", "l.email_local = r.email_local", weak=True),
            household_level(),
            DIFFERENT,
        ),
    )


def phone_comparison() -> Comparison:
    return Comparison(
        "phone",
        (
            lv.null_level("phone"),
            lv.exact("phone", "exact (E.164)", tf=True),
            lv.custom("same last 8 digits", "l.phone_tail = r.phone_tail"),
            lv.custom("one digit typo", _typo("phone")),
            household_level(),
            DIFFERENT,
        ),
    )


def birth_date_comparison() -> Comparison:
    return Comparison(
        "birth_date",
        (
            lv.null_level("dob"),
            lv.exact("dob"),
            lv.custom(
                "day and month transposed",
                "l.dob_year = r.dob_year AND substr(l.dob_str, 5, 2) = substr(r.dob_str, 7, 2)"
                " AND substr(l.dob_str, 7, 2) = substr(r.dob_str, 5, 2)",
            ),
            lv.custom("one digit off or two digits swapped", _typo("dob_str")),
            # One part typed wrong or taken from another field: 1995-05-19 / 1995-05-04.
            lv.custom(
                "the same but for the day, the month or the year",
                "(l.dob_year = r.dob_year)::INT + (month(l.dob) = month(r.dob))::INT"
                " + (day(l.dob) = day(r.dob))::INT = 2",
            ),
            # Two slips of the pen (1994-11-15 / 1997-11-14): weaker than one, stronger than "different".
            lv.custom("two digits off", "CASE WHEN strlen(l.dob_str) = strlen(r.dob_str) THEN hamming(l.dob_str, r.dob_str) = 2 ELSE FALSE END"),
            SAME_YEAR,
            GENERATION_APART,
            DIFFERENT,
        ),
    )


# Token overlap (Jaccard) of the street's distinct tokens, hashed to integers in prepare.py:
# `list_filter` + `list_contains` on integer lists is several times faster than `list_intersect`.
_SHARED = "len(list_filter(l.street_hashes, lambda x: list_contains(r.street_hashes, x)))"
_JACCARD = f"({_SHARED}::DOUBLE / greatest(len(l.street_hashes) + len(r.street_hashes) - {_SHARED}, 1))"
_SAME_NUMBER = "(l.street_num IS NULL OR r.street_num IS NULL OR l.street_num = r.street_num)"


def street_comparison() -> Comparison:
    return Comparison(
        "street",
        (
            lv.null_level("street"),
            lv.exact("street", tf=True),
            # A street line holding only a house number ("9": the street's name went to another line,
            # or nowhere) can only agree on that number: a level of its own, weaker than a street's.
            lv.custom(
                "same house number, no street name on one side",
                "(l.street_name IS NULL OR r.street_name IS NULL) AND l.street_num = r.street_num",
            weak=True,
            ),
            lv.custom(
                "similar (token overlap >= 0.6 or jaro-winkler >= 0.92)",
                f"{_SAME_NUMBER} AND ({_JACCARD} >= 0.6 OR jaro_winkler_similarity(l.street, r.street) >= 0.92)",
            ),
            # ... or the same number with a typo in the street's name word (jodayne / jodayfne), which
            # token overlap misses when the street has few words.
            lv.custom(
                "partly similar (token overlap >= 0.3)",
                f"{_JACCARD} >= 0.3 OR jaro_winkler_similarity(l.street, r.street) >= 0.8"
                f" OR (l.street_num = r.street_num AND {_typo('street_name')})",
            ),
            household_level(),
            DIFFERENT,
        ),
    )


#: Both postcodes French (`mdm.places`): compared as places. Otherwise (FEBRL's Australian
#: postcodes, a British one, a French one against a Belgian one) as strings.
_FRENCH_PAIR = "l.pc_dep IS NOT NULL AND r.pc_dep IS NOT NULL"
_NOT_FRENCH_PAIR = "(l.pc_dep IS NULL OR r.pc_dep IS NULL)"
#: The two postcodes are one town (two districts of Paris, or two postcodes of one town by name).
_SAME_TOWN = "l.pc_dep = r.pc_dep AND l.pc_town = r.pc_town"


def postcode_comparison() -> Comparison:
    """Postcodes: French ones as places (the same town or district, the same département: a person
    who moved from 75001 to 75008 stays in Paris, 75001 and 57001 are 300 km apart although one
    typo as strings), other countries' as strings (one typo, the same first two characters)."""
    return Comparison(
        "postcode",
        (
            # Same street and number: the postcode adds no evidence of its own (two people at one
            # address share it anyway), so it is neutral instead of being counted a second time.
            lv.Level(
                "missing or implied by the street",
                "l.postcode IS NULL OR r.postcode IS NULL OR (l.street = r.street AND l.street_num IS NOT NULL"
                " AND l.postcode = r.postcode)",
                is_null=True,
            ),
            lv.exact("postcode"),
            lv.custom("same town or district", f"{_FRENCH_PAIR} AND {_SAME_TOWN}"),
            # A slip of one digit counts only inside a département: across two it is another place.
            lv.custom("one typo, same département",
                      f"{_FRENCH_PAIR} AND l.pc_dep = r.pc_dep AND {_typo('postcode')}"),
            lv.custom("same département", f"{_FRENCH_PAIR} AND l.pc_dep = r.pc_dep", weak=True),
            lv.custom("one typo", f"{_NOT_FRENCH_PAIR} AND {_typo('postcode')}"),
            lv.custom("same area (first 2 characters)",
                      f"{_NOT_FRENCH_PAIR} AND left(l.postcode, 2) = left(r.postcode, 2)", weak=True),
            household_level(),
            DIFFERENT,
        ),
    )


def city_comparison() -> Comparison:
    return Comparison(
        "city",
        (
            # A postcode agreement already says "same town" (the same postcode, or two French
            # postcodes of one town, which the postcode comparison counts): the city is neutral then.
            lv.Level(
                "missing or implied by the postcode",
                f"l.city IS NULL OR r.city IS NULL OR l.postcode = r.postcode OR ({_SAME_TOWN})",
                is_null=True,
            ),
            lv.exact("city"),
            lv.jaro_winkler("city", 0.9, "similar (jaro-winkler >= 0.9)"),
            household_level(),
            DIFFERENT,
        ),
    )


def national_id_comparison() -> Comparison:
    """An identifier issued outside the company (national, tax or social-security number): the
    same person's records hold the same one, give or take a typo; two people almost never do."""
    return Comparison(
        "national_id",
        (
            lv.null_level("nid"),
            lv.exact("nid"),
            lv.custom("one typo", _typo("nid")),
            DIFFERENT,
        ),
    )


_FACTORIES = {
    "first_name": name_comparison_first,
    "last_name": name_comparison_last,
    "email": email_comparison,
    "phone": phone_comparison,
    "birth_date": birth_date_comparison,
    "street": street_comparison,
    "postcode": postcode_comparison,
    "city": city_comparison,
    "national_id": national_id_comparison,
}

def build(names: list[str]) -> list[Comparison]:
    return [_FACTORIES[n]() for n in names]


def household_split_sql(comparisons: list[Comparison], rule: HouseholdRule | None) -> str | None:
    """SQL over a stored vector: the household rule fired, so the two records are two people.

    Such pairs are cannot-links for clustering: without them, one record with no first name
    that agrees with each member of a household on surname and address joins them all into one.
    """
    hits = [f"g_{c.name} = {c.household_index}" for c in comparisons if c.household_index is not None]
    if rule is None or not hits:
        return None
    # ... except when the birth dates agree exactly: then it is a duplicate whose first name was
    # typed as another one as often as twins, and the pair's own score decides (no cannot-link).
    exact = rule.exact_overrides_cannot_link
    unless = f" AND g_{exact} IS DISTINCT FROM 1" if exact in {c.name for c in comparisons} else ""
    return f"({' OR '.join(hits)}){unless}"


def _disagrees(comparison: Comparison, level: Combined) -> str:
    """SQL over a raw vector: `comparison` is at `level` (UNCONFIRMED: at none of its exact levels;
    NOT_CLOSE: at none of its close ones)."""
    if isinstance(level, Unconfirmed):
        agreeing = [i for i, own in enumerate(comparison.levels) if own.tf_column]
    elif isinstance(level, NotClose):
        agreeing = comparison.close
    else:
        return f"g_{comparison.name} = {comparison.index_of(level)}"
    return f"g_{comparison.name} NOT IN ({', '.join(map(str, agreeing))})" if agreeing else "TRUE"


def _all_of(by_name: Mapping[str, Comparison], combo: Mapping[str, Combined]) -> str:
    """SQL over a raw vector: every comparison of `combo` is at its level (an AND, unbracketed)."""
    return " AND ".join(_disagrees(by_name[n], level) for n, level in combo.items())


def vector_sql(comparisons: list[Comparison], inner: str, rule: HouseholdRule | None) -> str:
    """SELECT list of the final comparison vector `g_<name>` over `inner`, a query giving the raw ones.

    The raw vector is each comparison's own level; the final one applies the household `rule`
    (agreements a household shares become neutral when the person fields disagree outright, and
    the family name alone when nothing of the person agrees closely: `member_unknown`).
    Every place that stores or samples vectors goes through here, so u, m and scores agree.
    """
    by_name = {c.name: c for c in comparisons}
    rule = rule or HouseholdRule((), ())
    channels = [f"g_{n} = 1" for n in rule.channels if n in by_name]
    persons = [f"({_all_of(by_name, combo)})" for combo in rule.disagreements if set(combo) <= set(by_name)]
    fired = [f"({' OR '.join(channels)}) AND ({' OR '.join(persons)})"] if channels and persons else []
    fired += [
        f"g_{channel} = 1 AND {_all_of(by_name, combo)}"
        for channel, combo in rule.per_channel if channel in by_name and set(combo) <= set(by_name)
    ]
    # An identifier issued to one person (national ID) that agrees settles it: no household rule.
    overrides = [f"g_{n} IN (1, 2)" for n in rule.identifiers if n in by_name]
    unless = f" AND NOT coalesce({' OR '.join(overrides)}, FALSE)" if overrides else ""
    unknown = [
        f"g_{channel} = 1 AND {_all_of(by_name, combo)}"
        for channel, combo in rule.member_unknown if channel in by_name and set(combo) <= set(by_name)
    ]
    columns = []
    for c in comparisons:
        counted = ", ".join(str(i) for i, level in enumerate(c.levels[:-1]) if not level.is_null)
        whens = []
        if c.household_index is not None and fired:
            whens.append(f"WHEN ({' OR '.join(f'({f})' for f in fired)}){unless} THEN {c.household_index}")
        if c.name == rule.family_name and unknown:
            whens.append(f"WHEN ({' OR '.join(f'({u})' for u in unknown)}){unless} THEN {c.index_of(MEMBER_UNKNOWN)}")
        expr = f"g_{c.name}"
        if whens:
            expr = f"(CASE WHEN g_{c.name} NOT IN ({counted}) THEN g_{c.name} {' '.join(whens)} ELSE g_{c.name} END)::TINYINT"
        columns.append(f"{expr} AS g_{c.name}")
    return f"SELECT * EXCLUDE ({', '.join(f'g_{c.name}' for c in comparisons)}), {', '.join(columns)} FROM ({inner})"
