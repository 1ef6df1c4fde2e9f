"""Each survivorship rule picks the expected value, addresses never mix two records, and lineage
explains every non-null golden value."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from matching.merge.config import DEFAULT_RULES, GOLDEN_FIELDS, GROUPS, SurvivorshipConfig

T1 = "2026-01-01T00:00:00"


def _one_customer(wh, *keys: str) -> str:
    wh.clusters(list(keys))
    wh.merge(T1)
    return str(wh.gid(keys[0]))


def test_trust_rank_wins(wh) -> None:
    wh.add("news:1", last_name="DUPONT", trust_rank=4)
    wh.add("crm:1", last_name="Dupont", trust_rank=1)
    gid = _one_customer(wh, "news:1", "crm:1")
    assert wh.customer(gid)["last_name"] == "Dupont"
    assert wh.lineage(gid)["last_name"] == ("crm:1", "trust")


def test_formal_first_name_beats_a_diminutive_even_from_a_more_trusted_source(wh) -> None:
    wh.add("crm:1", first_name="Seb", trust_rank=1)
    wh.add("salon:1", first_name="Sébastien", trust_rank=3)
    gid = _one_customer(wh, "crm:1", "salon:1")
    assert wh.customer(gid)["first_name"] == "Sébastien"
    assert wh.lineage(gid)["first_name"] == ("salon:1", "formal_name")

    wh.add("crm:2", first_name="Jean-Pierre", trust_rank=1)
    wh.add("web:2", first_name="Jean-Paul", trust_rank=2)
    other = _one_customer(wh, "crm:2", "web:2")
    assert wh.customer(other)["first_name"] == "Jean-Pierre", "two full names: trust decides"

    wh.add("crm:3", first_name="Carole", trust_rank=1)  # also listed as a short form of Caroline
    wh.add("web:3", first_name="Carolle", trust_rank=2)  # a typo, not a full form of Carole
    third = _one_customer(wh, "crm:3", "web:3")
    assert wh.customer(third)["first_name"] == "Carole"


def test_most_recent_uses_the_records_own_dates(wh) -> None:
    wh.add("crm:1", email="old@example.fr", trust_rank=1, updated_at=datetime(2020, 1, 1))
    wh.add("web:1", email="new@example.fr", trust_rank=2, last_order_at=datetime(2025, 6, 1))
    gid = _one_customer(wh, "crm:1", "web:1")
    assert wh.customer(gid)["email"] == "new@example.fr"
    assert wh.lineage(gid)["email"] == ("web:1", "most_recent")


def test_valid_only_never_lets_an_invalid_value_survive(wh) -> None:
    wh.add("crm:1", phone="+3311", phone_status="invalid", trust_rank=1, updated_at=datetime(2026, 1, 1))
    wh.add("web:1", phone="+33612345678", trust_rank=3, updated_at=datetime(2020, 1, 1))
    gid = _one_customer(wh, "crm:1", "web:1")
    assert wh.customer(gid)["phone"] == "+33612345678"
    assert wh.lineage(gid)["phone"] == ("web:1", "valid_only")


def test_valid_only_reads_standardisation_issue_codes(wh) -> None:
    wh.add("crm:1", vat_number="FR00000000000", issues=["vat_invalid"], trust_rank=1)
    wh.add("web:1", vat_number="FR40303265045", trust_rank=2)
    gid = _one_customer(wh, "crm:1", "web:1")
    assert wh.customer(gid)["vat_number"] == "FR40303265045"
    assert wh.lineage(gid)["vat_number"] == ("web:1", "valid_only")


def test_national_id_most_trusted_source_wins_and_a_typo_is_outvoted_among_equals(wh) -> None:
    wh.add("web:1", national_id="1800375115042", trust_rank=2)
    wh.add("crm:1", national_id="1800375115043", trust_rank=1)
    gid = _one_customer(wh, "web:1", "crm:1")
    assert wh.customer(gid)["national_id"] == "1800375115043"
    assert wh.lineage(gid)["national_id"] == ("crm:1", "trust")

    for n, nid in enumerate(["2920613055017", "2920613055017", "2920613055018"]):
        wh.add(f"salon:{n}", national_id=nid, trust_rank=3)
    other = _one_customer(wh, "salon:0", "salon:1", "salon:2")
    assert wh.customer(other)["national_id"] == "2920613055017"
    assert wh.lineage(other)["national_id"][1] == "most_frequent"


def test_invalid_only_value_gives_null(wh) -> None:
    wh.add("crm:1", birth_date=date(1900, 2, 1), birth_date_status="invalid")
    gid = _one_customer(wh, "crm:1")
    assert wh.customer(gid)["birth_date"] is None
    assert "birth_date" not in wh.lineage(gid)


def test_most_frequent_then_longest(wh) -> None:
    wh.add("crm:1", first_name="Jean", trust_rank=1)
    wh.add("crm:2", first_name="Jean-Pierre", trust_rank=1)
    wh.add("crm:3", first_name="Jean-Pierre", trust_rank=1)
    gid = _one_customer(wh, "crm:1", "crm:2", "crm:3")
    assert wh.customer(gid)["first_name"] == "Jean-Pierre"
    assert wh.lineage(gid)["first_name"] == ("crm:2", "most_frequent")  # two records agree; smallest key supplies it
    wh.add("crm:4", last_name="Li", trust_rank=1)
    wh.add("crm:5", last_name="Lindqvist", trust_rank=1)
    gid = _one_customer(wh, "crm:4", "crm:5")
    assert wh.customer(gid)["last_name"] == "Lindqvist"
    assert wh.lineage(gid)["last_name"] == ("crm:5", "longest")


def test_most_frequent_ignores_case_and_accents_when_counting(wh) -> None:
    wh.add("crm:1", last_name="Müller", trust_rank=1)
    wh.add("crm:2", last_name="MULLER", trust_rank=1)
    wh.add("crm:3", last_name="Miller", trust_rank=1)
    wh.add("crm:4", last_name="Miller", trust_rank=1)
    wh.add("crm:5", last_name="Muller", trust_rank=1)
    gid = _one_customer(wh, "crm:1", "crm:2", "crm:3", "crm:4", "crm:5")
    # 3 Muller-like against 2 Miller; then `longest` counts bytes, so the accented spelling wins
    assert wh.customer(gid)["last_name"] == "Müller"
    assert wh.lineage(gid)["last_name"] == ("crm:1", "longest")
    wh.add("crm:6", first_name="Helene", trust_rank=1)
    wh.add("crm:7", first_name="Hélène", trust_rank=1)
    gid = _one_customer(wh, "crm:6", "crm:7")
    assert wh.customer(gid)["first_name"] == "Hélène"


def test_most_frequent_decides(wh) -> None:
    wh.add("crm:1", last_name="Martin", trust_rank=1)
    wh.add("crm:2", last_name="Martins", trust_rank=1)
    wh.add("crm:3", last_name="Martin", trust_rank=1)
    gid = _one_customer(wh, "crm:1", "crm:2", "crm:3")
    assert wh.customer(gid)["last_name"] == "Martin"
    assert wh.lineage(gid)["last_name"] == ("crm:1", "most_frequent")


def test_address_survives_together_from_one_record(wh) -> None:
    # crm: full address, old; web: newer but without street -> most_complete keeps crm's whole address
    wh.add("crm:1", street="1 rue de la Paix", postcode="75002", city="Paris", updated_at=datetime(2020, 1, 1))
    wh.add("web:1", postcode="69001", city="Lyon", updated_at=datetime(2026, 1, 1))
    gid = _one_customer(wh, "crm:1", "web:1")
    c = wh.customer(gid)
    assert (c["street"], c["postcode"], c["city"]) == ("1 rue de la Paix", "75002", "Paris")
    lin = wh.lineage(gid)
    assert {lin[f][0] for f in ("street", "postcode", "city", "country")} == {"crm:1"}
    assert lin["street"][1] == "most_complete"


def test_unanimous_and_only_value(wh) -> None:
    wh.add("crm:1", email="a@example.fr", company="ACME")
    wh.add("web:1", email="a@example.fr")
    gid = _one_customer(wh, "crm:1", "web:1")
    lin = wh.lineage(gid)
    assert lin["email"][1] == "unanimous"
    assert lin["company"] == ("crm:1", "only_value")


def test_configured_chain_overrides_default(wh) -> None:
    wh.config.survivorship = SurvivorshipConfig(rules={"last_name": ["longest", "trust"]})
    wh.add("crm:1", last_name="Roy", trust_rank=1)
    wh.add("web:1", last_name="Royer", trust_rank=2)
    gid = _one_customer(wh, "crm:1", "web:1")
    assert wh.customer(gid)["last_name"] == "Royer"


def test_lineage_explains_every_non_null_value(wh) -> None:
    wh.add("crm:1", title="Mme", first_name="Ana", last_name="Silva", email="ana@example.fr",
           street="3 rue X", postcode="33000", city="Bordeaux", birth_date=date(1980, 5, 1), trust_rank=1,
           customer_status="client", created_at=datetime(2019, 1, 1))
    wh.add("web:1", first_name="Anna", phone="+33611111111", company="Silva SARL", siret="12345678900011",
           vat_number="FR12345678901", opt_in=True, trust_rank=2, last_order_at=datetime(2025, 1, 1))
    wh.add("crm:2", last_name="Costa")
    wh.clusters(["crm:1", "web:1"], ["crm:2"])
    wh.merge(T1)
    unexplained = wh.con.execute(
        "SELECT c.golden_id, f.field FROM golden.customer c, (SELECT unnest(?::VARCHAR[]) AS field) f "
        "WHERE NOT EXISTS (SELECT 1 FROM golden.lineage l WHERE l.golden_id = c.golden_id AND l.field = f.field) "
        "AND json_extract(to_json(c), '$.' || f.field) IS NOT NULL "
        "AND json_extract(to_json(c), '$.' || f.field)::VARCHAR <> 'null'",
        [list(GOLDEN_FIELDS)],
    ).fetchall()
    assert unexplained == []
    # every lineage row points at a current member record of its customer
    orphans = wh.con.execute(
        "SELECT count(*) FROM golden.lineage l WHERE NOT EXISTS (SELECT 1 FROM golden.xref x "
        "WHERE x.golden_id = l.golden_id AND x.record_key = l.record_key AND x.valid_to IS NULL)"
    ).fetchone()[0]
    assert orphans == 0
    total = wh.con.execute("SELECT count(*) FROM golden.lineage").fetchone()[0]
    assert total >= 15


def test_defaults_cover_every_group_and_config_is_checked() -> None:
    assert set(DEFAULT_RULES) == set(GROUPS)
    # the groups cover the canonical golden fields (mdm/canonical.py), each exactly once
    grouped = [f for fields in GROUPS.values() for f in fields]
    assert sorted(grouped) == sorted(GOLDEN_FIELDS)
    with pytest.raises(ValueError, match="address"):
        SurvivorshipConfig(rules={"postcode": ["trust"]})
    with pytest.raises(ValueError, match="unknown rule"):
        SurvivorshipConfig(rules={"email": ["newest"]})


def test_history_keeps_previous_versions(wh) -> None:
    wh.add("crm:1", email="old@example.fr", updated_at=datetime(2020, 1, 1))
    gid = _one_customer(wh, "crm:1")
    wh.add("crm:1", email="new@example.fr", updated_at=datetime(2026, 1, 1))
    wh.clusters(["crm:1"])
    result = wh.merge("2026-02-01T00:00:00")
    assert result.counts["changed"] == 1
    rows = wh.con.execute(
        "SELECT version, \"values\"->>'email', valid_from::VARCHAR, valid_to::VARCHAR FROM golden.history "
        "WHERE golden_id = ? ORDER BY version",
        [gid],
    ).fetchall()
    assert rows == [
        (1, "old@example.fr", "2026-01-01 00:00:00", "2026-02-01 00:00:00"),
        (2, "new@example.fr", "2026-02-01 00:00:00", None),
    ]
    assert wh.customer(gid)["updated_at"] == datetime(2026, 2, 1)
    assert wh.customer(gid)["first_seen_at"] == datetime(2026, 1, 1)


def test_only_changed_customers_are_recomputed_unless_rules_change(wh) -> None:
    wh.add("crm:1", last_name="Roy", trust_rank=1)
    wh.add("web:1", last_name="Royer", trust_rank=2)
    wh.add("crm:2", last_name="Vidal", email="v@example.fr")
    wh.clusters(["crm:1", "web:1"], ["crm:2"])
    wh.merge(T1)
    gid = wh.gid("crm:1")
    wh.add("crm:2", last_name="Vidal", email="vidal@example.fr")
    result = wh.merge("2026-02-01T00:00:00")
    assert result.counts["recomputed"] == 1 and result.counts["changed"] == 1
    assert wh.customer(wh.gid("crm:2"))["email"] == "vidal@example.fr"
    wh.config.survivorship = SurvivorshipConfig(rules={"last_name": ["longest", "trust"]})
    result = wh.merge("2026-03-01T00:00:00")
    assert result.counts["recomputed"] == 2
    assert wh.customer(gid)["last_name"] == "Royer"
