"""Splink 5 on the benchmark's standardised records (run by bench_match.py in benchmarks/.venv-splink).

Kept apart from our package on purpose: it imports only splink, duckdb and pandas, so it runs in
its own virtual environment and Splink's dependencies never touch the project's lock.

Configured as Splink's documentation recommends for person data: ForenameSurnameComparison with
term-frequency adjustments, DateOfBirthComparison, EmailComparison, fuzzy address fields; the
prior from deterministic rules, u by random sampling (Splink 5 keeps sampling until every level
has at least 100 pairs), m by EM over several blocking rules, then predict and cluster at 0.95.

Prints one JSON line: seconds (matching only), peak_rss_mb, pairs, and writes clusters to --out.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    records = pd.read_parquet(args.input)
    df = pd.DataFrame({
        "unique_id": records["record_key"],
        "first_name": records["first_name_key"],
        "surname": records["last_name_key"],
        "dob": records["birth_date"].astype("string"),
        "email": records["email"],
        "phone": records["phone"],
        "street": records["street_key"],
        "postcode": records["postcode"],
        "city": records["city_key"],
    })
    df["first_name_surname_concat"] = (df["first_name"].fillna("") + " " + df["surname"].fillna("")).str.strip()
    df.loc[df["first_name"].isna() | df["surname"].isna(), "first_name_surname_concat"] = None

    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "surname"),
            block_on("postcode", "first_name"),
            block_on("street", "postcode"),
        ],
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.EmailComparison("email"),
            cl.LevenshteinAtThresholds("phone", 2),
            cl.JaroWinklerAtThresholds("street", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=args.seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, args.threshold)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    seconds = time.perf_counter() - started
    pairs = int(predictions.as_duckdbpyrelation().count("*").fetchall()[0][0])
    out.rename(columns={"unique_id": "record_key"}).astype(str).to_parquet(args.out, index=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1), "pairs": pairs}))


if __name__ == "__main__":
    main()
