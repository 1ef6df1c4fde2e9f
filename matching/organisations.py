"""Organisations as another kind of party for the same engine: their matching input, comparisons,
blocking keys and training sessions (docs/organisations.md).

Why a module of its own and not a second matcher: blocking, comparison vectors, training (u by
random pairs, m by EM), scoring, decisions and clustering are the engine's; an organisation only
brings what differs from a person:

- **Input** (`prepare_organisations`): the company name's comparison key (`company_key`: legal
  form, small words and accents already set aside by the standardiser), its tokens and each
  token's *rarity weight* (log of records over records holding it: "boulangerie" says little,
  "veranda" a lot), the legal unit (SIREN; a French VAT number gives it too), a foreign VAT
  number, the web domain (never a webmail one), phone and address keys named as the person
  input names them, so the engine's phone and address comparisons read them unchanged.
- **Comparisons**: the name by rarity-weighted token overlap; the SIREN (same SIREN = same legal
  unit; another establishment of it, another SIRET, is still the same organisation); a foreign
  VAT number; the web domain; and the person comparisons of phone and address.
- **Blocking keys**: identifiers, domain, phone, the name key, its rarest tokens.

Token weights are computed over the records being matched (like the frozen term frequencies of
person names, they describe the data the model was fitted on).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from matching import comparisons as person
from matching import levels as lv
from matching import prepare as person_prepare
from matching.blocking import BlockingRule
from matching.comparisons import DIFFERENT, Comparison, HouseholdRule
from matching.settings import TrainingConfig
from matching.spec import ModelSpec, PreparedKeys
from matching.sql import one
from mdm import places
from warehouse.schema import matcher_ddl

INPUT_TABLE = "match_input"

#: Where the organisation matcher keeps its state: the person layout (`warehouse/ddl/50_match.sql`)
#: under a schema of its own.
SCHEMA = "match_org"

#: Staging columns `prepare_organisations` reads: a change in one re-prepares the record.
SOURCE_COLUMNS = ("source", "party_kind", "company", "company_key", "siren", "vat_number", "company_domain", "phone", "street",
                  "street_key", "postcode", "city", "city_key", "country")

#: Columns whose change makes an organisation record "changed" for an incremental run.
HASHED_COLUMNS = ("co", "siren", "vat", "domain", "phone", "street", "postcode", "city", "country")

#: Blocking key -> column of the organisation input.
BLOCKING_KEYS: dict[str, str] = {
    "siren": "siren",
    "vat": "vat",
    "domain": "domain",
    "phone": "phone",
    "company_name": "co",
    "company_rare_token": "co_rare1",
    "company_rare_token_2": "co_rare2",
    "company_first_token": "co_first",
    "company_first_tokens": "co_first2",
    "postcode": "postcode",
    "city": "city",
    "street": "street",
}

#: Default blocking rules: identifiers first (they pair few records), then the name, then the
#: name's rarest words (a shortened or reworded name keeps them), then address with a name word.
DEFAULT_RULES: dict[str, list[str]] = {
    "siren": ["siren"],
    "vat": ["vat"],
    "domain": ["domain"],
    "phone": ["phone"],
    "company_name": ["company_name"],
    "rare_token": ["company_rare_token"],
    "rare_token_2": ["company_rare_token_2"],
    "first_tokens": ["company_first_tokens"],
    "first_token": ["company_first_token"],
    "street_city": ["street", "city"],
}

#: The rules on the name, the one field every organisation record has: when one is loose on a big
#: file (blocks of a hundred "Pharmacie de la Gare" in a hundred towns) it keeps its small blocks
#: instead of being skipped (`blocking.rule_caps`). Skipped, nothing else pairs two establishments
#: of one company that share only their name.
NAME_RULES = frozenset({"company_name", "rare_token", "rare_token_2", "first_tokens", "first_token"})

#: EM sessions (comparisons held fixed): the name with the town, the phone, the legal unit.
DEFAULT_SESSIONS: list[list[str]] = [["company_name", "city"], ["phone"], ["siren"], ["company_name"]]


def _fold(expr: str) -> str:
    return (
        "nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(" + expr + ")), "
        "'[^a-z0-9 ]+', ' ', 'g'), ' +', ' ', 'g')), '')"
    )


def prepare_organisations(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Create the temp table `match_input` of organisation keys from `source`; return its row count.

    `source` is a table or view of standardised records chosen by code (never by data) with the
    columns of `staging.customers`.

    Over 60 lines on purpose: three SQL statements that read one another's tables, in the order
    they run (the keys, the name words' rarity, the prepared input).
    """
    own = "party_kind IS DISTINCT FROM 'contact'"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_org_base AS
        SELECT record_key, source,
               {_fold("coalesce(company_key, company)")} AS co,
               nullif(siren, '') AS siren,
               -- a French VAT number is the SIREN again: compared there, not twice
               CASE WHEN vat_number NOT LIKE 'FR%' THEN nullif(vat_number, '') END AS vat,
               nullif(lower(company_domain), '') AS domain,
               -- a contact's badge holds the person's phone and address, not the organisation's
               CASE WHEN {own} THEN nullif(trim(phone), '') END AS phone,
               CASE WHEN {own} THEN {_fold("coalesce(street_key, street)")} END AS street,
               CASE WHEN {own} THEN nullif(upper(regexp_replace(postcode, '[^0-9A-Za-z]', '', 'g')), '') END
                   AS postcode,
               CASE WHEN {own} THEN {_fold("coalesce(city_key, city)")} END AS city,
               CASE WHEN {own} THEN nullif(upper(trim(country)), '') END AS country
        FROM {source}
    """)
    person_prepare.places_table(con, "match_org_base")  # postcodes as places, as for persons
    # rarity weight of each name token: ln(records / records holding it)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE match_org_tokens AS
        WITH t AS (SELECT DISTINCT record_key, unnest(string_split(co, ' ')) AS token FROM match_org_base
                   WHERE co IS NOT NULL)
        SELECT token, ln((SELECT count(*) FROM match_org_base) / count(*)) + 0.1 AS w, hash(token) AS h
        FROM t WHERE token <> '' GROUP BY token
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE match_org_names AS
        WITH t AS (SELECT DISTINCT co, unnest(string_split(co, ' ')) AS token FROM match_org_base WHERE co IS NOT NULL)
        SELECT t.co,
               list(w.h ORDER BY w.h) AS co_hashes,
               list({'h': w.h, 'w': w.w} ORDER BY w.h) AS co_tw,
               sum(w.w) AS co_wsum,
               list(t.token ORDER BY w.w DESC, t.token)[1] AS co_rare1,
               list(t.token ORDER BY w.w DESC, t.token)[2] AS co_rare2,
               split_part(t.co, ' ', 1) AS co_first,
               CASE WHEN t.co LIKE '% %' THEN split_part(t.co, ' ', 1) || ' ' || split_part(t.co, ' ', 2) END AS co_first2
        FROM t JOIN match_org_tokens w ON w.token = t.token GROUP BY t.co
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {INPUT_TABLE} AS
        SELECT b.*, n.co_hashes, n.co_tw, n.co_wsum, n.co_rare1, n.co_rare2, n.co_first, n.co_first2,
               CASE WHEN length(regexp_replace(b.phone, '[^0-9]', '', 'g')) >= 8
                    THEN right(regexp_replace(b.phone, '[^0-9]', '', 'g'), 8) END AS phone_tail,
               s.hashes AS street_hashes, s.num AS street_num, s.name AS street_name, pl.pc_dep, pl.pc_town,
               md5(concat_ws(chr(31), {", ".join(f"coalesce(CAST(b.{c} AS VARCHAR), '')" for c in HASHED_COLUMNS)}))
                   AS content_hash
        FROM match_org_base b
        LEFT JOIN match_org_names n ON n.co = b.co
        LEFT JOIN (
            SELECT street,
                   list_distinct(list_transform(list_filter(string_split(street, ' '), lambda t: t <> ''),
                                                lambda t: hash(t))) AS hashes,
                   nullif(regexp_extract(street, '[0-9]+'), '') AS num,
                   list_filter(string_split(street, ' '), lambda t: length(t) >= 4
                               AND NOT regexp_matches(t, '[0-9]'))[1] AS name
            FROM (SELECT DISTINCT street FROM match_org_base WHERE street IS NOT NULL)
        ) s ON s.street = b.street
        {person_prepare.PLACES_JOIN}
    """)
    for table in ("match_org_base", "match_org_tokens", "match_org_names", person_prepare.PLACES_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    row = one(con, f"SELECT count(*) FROM {INPUT_TABLE}")
    return int(row[0]) if row else 0


# Rarity-weighted overlap of two names' tokens: the weight of the tokens they share over the
# weight of all their tokens (Jaccard), or over the lighter name's (containment: a shortened
# name, or one with its address appended, is contained in the other).
_SHARED = "list_sum(list_transform(l.co_tw, lambda x: CASE WHEN list_contains(r.co_hashes, x.h) THEN x.w ELSE 0 END))"
_JACCARD = f"({_SHARED} / greatest(l.co_wsum + r.co_wsum - {_SHARED}, 1e-9))"
_CONTAINED = f"({_SHARED} / greatest(least(l.co_wsum, r.co_wsum), 1e-9))"


def company_name_comparison() -> Comparison:
    return Comparison(
        "company_name",
        (
            lv.null_level("co"),
            lv.exact("co", "exact (legal form and small words aside)", tf=True),
            lv.custom("rare words nearly all shared (weighted overlap >= 0.8)", f"{_JACCARD} >= 0.8"),
            lv.custom("one name within the other (weighted containment >= 0.8)", f"{_CONTAINED} >= 0.8"),
            lv.custom("similar spelling (jaro-winkler >= 0.92)", "jaro_winkler_similarity(l.co, r.co) >= 0.92"),
            # A slip in a short name ("girard" / "glrard") or in the rare word of a longer one
            # ("malllot industrie") that Jaro-Winkler scores low: a typo, not another company.
            lv.custom("one typo (two in a name of 10 letters or more)",
                      "levenshtein(l.co, r.co) <= CASE WHEN least(length(l.co), length(r.co)) >= 10 THEN 2 ELSE 1 END"),
            lv.custom("many rare words shared (weighted overlap >= 0.5)", f"{_JACCARD} >= 0.5"),
            lv.custom("half of the lighter name shared (weighted containment >= 0.5)", f"{_CONTAINED} >= 0.5",
                      weak=True),
            lv.custom("some words shared (weighted overlap >= 0.25)", f"{_JACCARD} >= 0.25", weak=True),
            DIFFERENT,
        ),
    )


def company_head_comparison() -> Comparison:
    """The name's first words, where a brand usually stands ("Véranda Confort Nord" / "Véranda Confort")."""
    return Comparison(
        "company_head",
        (
            # a name of one or two words is all head: compared once, under company_name
            lv.Level(
                "missing, or the whole name (see company_name)",
                "l.co_first IS NULL OR r.co_first IS NULL OR l.co = r.co"
                " OR NOT (l.co LIKE '% % %' AND r.co LIKE '% % %')",
                is_null=True,
            ),
            lv.custom("same first two words", "l.co_first2 = r.co_first2"),
            lv.custom("same first word", "l.co_first = r.co_first"),
            DIFFERENT,
        ),
    )


def siren_comparison() -> Comparison:
    """Same SIREN: the same legal unit, whichever of its establishments (SIRET) each record names."""
    return Comparison(
        "siren",
        (lv.null_level("siren"), lv.exact("siren", "same legal unit (SIREN)"),
         lv.custom("one digit typo", "levenshtein(l.siren, r.siren) = 1"), DIFFERENT),
    )


def vat_comparison() -> Comparison:
    """A VAT number from outside France (a French one is compared as its SIREN)."""
    return Comparison("vat", (lv.null_level("vat"), lv.exact("vat"), lv.custom("one typo", "levenshtein(l.vat, r.vat) = 1"),
                              DIFFERENT))


#: The neutral level a site's shared agreement moves to when `SHARED_SITE` fires: the persons'
#: household level (`comparisons.household_level`), said of organisations.
AT_SITE = lv.Level("shared with another organisation at the site (not counted)", "FALSE", is_null=True,
                   household=True)


def _at_site(factory: Callable[[], Comparison]) -> Callable[[], Comparison]:
    """`factory`'s person comparison with its household level said of organisations (AT_SITE)."""

    def make() -> Comparison:
        comparison = factory()
        return Comparison(comparison.name, tuple(AT_SITE if level.household else level for level in comparison.levels))

    return make


def domain_comparison() -> Comparison:
    """The web domain; a group's subsidiaries share it, so it is a channel of `SHARED_SITE` and
    has the neutral level a shared agreement moves to."""
    return Comparison("domain", (lv.null_level("domain"), lv.exact("domain"), AT_SITE, DIFFERENT))


#: Two records of one legal unit (same SIREN) may name two establishments, or a trade name and the
#: legal name: their address, phone, domain or name may disagree and still be one organisation. The
#: SIREN settles it, so such a disagreement weighs nothing (it is not counted as evidence against).
SAME_UNIT = lv.Level("disagrees, but the same legal unit (another establishment: not counted)", "l.siren = r.siren",
                     is_null=True)


def _within_unit(factory: Callable[[], Comparison]) -> Callable[[], Comparison]:
    """`factory`'s comparison with the SAME_UNIT level just before "different"."""

    def make() -> Comparison:
        comparison = factory()
        return Comparison(comparison.name, (*comparison.levels[:-1], SAME_UNIT, comparison.levels[-1]))

    return make


FACTORIES = {
    "company_name": _within_unit(company_name_comparison),
    "company_head": _within_unit(company_head_comparison),
    "siren": siren_comparison,
    "vat": vat_comparison,
    "domain": _within_unit(domain_comparison),
    "phone": _within_unit(_at_site(person.phone_comparison)),
    "street": _within_unit(_at_site(person.street_comparison)),
    "postcode": _within_unit(person.postcode_comparison),
    "city": _within_unit(person.city_comparison),
}

#: Comparisons of the organisation model, in order.
COMPARISONS: tuple[str, ...] = tuple(FACTORIES)


def build(names: list[str] | tuple[str, ...] = COMPARISONS) -> list[Comparison]:
    return [FACTORIES[n]() for n in names]


#: Organisations sharing a site (a building, a switchboard, a group's web domain) agree on those far
#: more often than two random ones: when the names disagree outright, that agreement says "same
#: site", not "same organisation" (the persons' household rule, docs/matching.md §3). The same
#: SIREN or VAT number settles it.
SHARED_SITE = HouseholdRule(
    channels=("street", "phone", "domain"),
    disagreements=({"company_name": DIFFERENT}, {"siren": DIFFERENT}),
    identifiers=("siren", "vat"),
)


#: Comparisons whose exact level weighs by the value's frequency: "Pharmacie de la Gare" in every
#: town agrees by chance far more often than "Pereira Letellier et Fils".
TF_ADJUST = ("company_name", "street")


def prepared_keys() -> PreparedKeys:
    return PreparedKeys(build=prepare_organisations, source_columns=SOURCE_COLUMNS,
                        version_files=(Path(__file__), Path(places.__file__)))


def organisation_spec() -> ModelSpec:
    """Organisations as the engine matches them: comparisons, rules, sessions and state of their own."""
    training = TrainingConfig(em_sessions=DEFAULT_SESSIONS)
    rules = tuple(BlockingRule(name, tuple(BLOCKING_KEYS[k] for k in keys),
                               "keep_small_blocks" if name in NAME_RULES else "skip")
                  for name, keys in DEFAULT_RULES.items())
    fingerprint = hashlib.sha256(json.dumps(
        {"comparisons": list(COMPARISONS), "rules": DEFAULT_RULES, "keep_small_blocks": sorted(NAME_RULES),
         "training": training.model_dump()},
        sort_keys=True,
    ).encode()).hexdigest()[:16]
    return ModelSpec(
        kind="organisation", schema=SCHEMA, comparisons=tuple(build()), blocking_rules=rules,
        prepared=prepared_keys(), training=training, fingerprint=fingerprint, household=SHARED_SITE,
        tf_adjust=TF_ADJUST,
    )


def schema_ddl() -> str:
    """The matcher's state tables (`50_match.sql`) under `SCHEMA` (`warehouse.schema.matcher_ddl`)."""
    return matcher_ddl(SCHEMA)
