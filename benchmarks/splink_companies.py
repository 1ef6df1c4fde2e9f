"""Splink 5 configured for company files, beside our organisation matcher (its own venv).

`../shared/benchmarks/splink_baseline.py` is the stock person set-up: it has no company-name
comparison, so on a company file it says what the address and the phone alone give. This is the
set-up a Splink user would write for companies, following Splink's documentation: light cleaning
in SQL (accents, punctuation and the common legal forms off the name; the SIREN from the SIRET;
the web domain from the website or a business e-mail), a Jaro-Winkler name comparison with
term-frequency adjustment, exact identifier, phone and domain comparisons, fuzzy address fields,
blocking on each identifier, on the name and on its first word with the postcode; the prior from
deterministic rules, u by random sampling, m by EM, clusters at p >= 0.9. It imports only
splink, duckdb and pandas, so it runs in `benchmarks/.venv-splink`:

    benchmarks/.venv-splink/bin/python benchmarks/splink_companies.py orgs.csv --truth-column organisation_id

Prints precision, recall, F1, records, clusters and seconds (without imports), like the stock script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.duckdb.database_api import DuckDBAPI
from splink.internals.exceptions import EMTrainingException

#: Legal forms a user strips from names before comparing them (the usual French, German, British
#: and Spanish ones, written without dots after the punctuation is gone).
FORMS = r"\b(sarl|sas|sasu|sa|eurl|snc|sci|societe anonyme|gmbh|ag|kg|co|ltd|plc|llp|inc|sl|slu|s a r l|s a s|s a)\b"
WEBMAIL = "('gmail.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'sfr.fr', 'hotmail.com', 'yahoo.fr', 'laposte.net')"
CLEAN = f"""
    SELECT row_number() OVER () AS unique_id,
           nullif(trim(regexp_replace(regexp_replace(regexp_replace(lower(strip_accents(coalesce(company, ''))),
               '[^a-z0-9 ]', ' ', 'g'), '{FORMS}', ' ', 'g'), ' +', ' ', 'g')), '') AS name,
           nullif(left(regexp_replace(regexp_replace(coalesce(siret, ''), '\\.0$', ''), '[^0-9]', '', 'g'), 9), '')
               AS siren,
           nullif(right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), 9), '') AS phone,
           coalesce(nullif(regexp_extract(lower(coalesce(website, '')), '^(https?://)?(www\\.)?([^/]+)', 3), ''),
                    CASE WHEN split_part(lower(email), '@', 2) NOT IN {WEBMAIL}
                         THEN nullif(split_part(lower(email), '@', 2), '') END) AS domain,
           nullif(lower(strip_accents(trim(street))), '') AS street,
           nullif(upper(replace(trim(postcode), ' ', '')), '') AS postcode,
           nullif(lower(strip_accents(trim(city))), '') AS city,
           {{truth}} AS truth
    FROM src
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--truth-column", default="true_id")
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT * FROM read_csv(?, all_varchar=true)", [a.file])
    have = {r[0] for r in con.execute("DESCRIBE src").fetchall()}
    for col in ("company", "siret", "phone", "website", "email", "street", "postcode", "city"):
        if col not in have:
            con.execute(f"ALTER TABLE src ADD COLUMN {col} VARCHAR")
    con.execute("CREATE TABLE df AS " + CLEAN.format(truth=a.truth_column))
    con.execute("ALTER TABLE df ADD COLUMN name_first VARCHAR")
    con.execute("UPDATE df SET name_first = split_part(name, ' ', 1)")
    comparisons = [
        cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.7]).configure(term_frequency_adjustments=True),
        cl.ExactMatch("siren"), cl.ExactMatch("phone"), cl.ExactMatch("domain"),
        cl.JaroWinklerAtThresholds("street", [0.9, 0.7]), cl.ExactMatch("postcode"),
        cl.JaroWinklerAtThresholds("city", [0.9]),
    ]
    rules = [block_on("siren"), block_on("phone"), block_on("domain"), block_on("name"),
             block_on("name_first", "postcode"), block_on("street", "postcode")]
    db = DuckDBAPI(connection=con)
    linker = Linker(db.register("df"), SettingsCreator(
        link_type="dedupe_only", comparisons=comparisons, blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False))
    held = {c for c in ("siren", "postcode", "phone")
            if con.execute(f"SELECT count({c}) FROM df").fetchall()[0][0]}     # columns this file fills
    deterministic = [block_on(*r) for r in (("siren",), ("name", "postcode"), ("name", "phone"))
                     if {c for c in r if c != "name"} <= held]
    with contextlib.suppress(ValueError, ZeroDivisionError):
        linker.training.estimate_probability_two_random_records_match(deterministic or [block_on("name")], recall=0.7)
    if not 0 < linker._settings_obj._probability_two_random_records_match < 1:   # no deterministic pair at all
        linker._settings_obj._probability_two_random_records_match = 1e-4              # Splink's default
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for rule in (block_on("name"), *([block_on("postcode")] if "postcode" in held else [])):
        # a rule no pair satisfies leaves EM nothing to learn from
        with contextlib.suppress(ValueError, ZeroDivisionError, EMTrainingException):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    preds = linker.inference.predict(threshold_match_probability=min(0.5, a.threshold))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, a.threshold)
    con.register("clu", clusters.as_duckdbpyrelation())
    seconds = time.perf_counter() - started
    row = con.execute("""
        WITH c AS (SELECT cluster_id, truth FROM clu),
        a AS (SELECT count(*) s FROM c GROUP BY cluster_id, truth),
        p AS (SELECT count(*) s FROM c GROUP BY cluster_id),
        t AS (SELECT count(*) s FROM c GROUP BY truth)
        SELECT (SELECT sum(s*(s-1)/2) FROM a), (SELECT sum(s*(s-1)/2) FROM p), (SELECT sum(s*(s-1)/2) FROM t),
               (SELECT count(*) FROM c), (SELECT count(*) FROM p)""").fetchall()[0]
    tp, pp, tt, n, k = (float(x or 0) for x in row)
    precision, recall = (tp / pp if pp else 1.0), (tp / tt if tt else 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "records": int(n),
           "clusters": int(k), "seconds": round(seconds, 1)}
    print(json.dumps(out) if a.json else " ".join(f"{key}={v}" for key, v in out.items()))


if __name__ == "__main__":
    main()
