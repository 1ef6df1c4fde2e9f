"""Organisation matching at scale: how long the nightly full run of the organisation matcher takes.

Builds the demo's ERP accounts (`mdm.demo.companies`: valid SIREN/SIRET/VAT, establishments in
several towns, double entries without identifiers, legal forms written in several ways) for N
companies, then matches them with the organisation matcher exactly as `mdm evaluate` does
(standardise, block, train, score, cluster; `matching.evaluation.evaluate`), and prints seconds,
peak memory and pairwise quality against the generator's truth.

    .venv/bin/python -m benchmarks.bench_organisations --companies 100000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from matching.evaluation import evaluate
from mdm.demo.companies import B2B, CONTACT_HEADERS, make_companies, tiers_rows
from mdm.demo.generate import REFERENCE_DATE
from mdm.demo.organisations import organisation_records
from mdm.demo.people import make_population


def accounts(companies: int, seed: int) -> pd.DataFrame:
    """The ERP accounts of `companies` companies, canonical columns and `organisation_id`."""
    rng = np.random.default_rng([seed, 2])
    population = make_population(20_000, np.random.default_rng(seed), REFERENCE_DATE)  # names to draw from
    made = make_companies(population, rng, count=companies)
    tiers = tiers_rows(made, rng, REFERENCE_DATE)
    contacts = pd.DataFrame(columns=[*CONTACT_HEADERS, "org_id", "person"])
    badges = pd.DataFrame(columns=["Société", "E-mail", "record_key"])
    return organisation_records(B2B(made, tiers, contacts), badges)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    records = accounts(args.companies, args.seed)
    made = time.perf_counter() - started
    result = evaluate(records.drop(columns="organisation_id"), records["organisation_id"], party="organisation")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.companies} companies, {len(records)} records (generated in {made:.1f} s): matched in "
          f"{result.seconds:.1f} s, peak {peak_mb:.0f} MB; precision={result.precision:.4f} "
          f"recall={result.recall:.4f} f1={result.f1:.4f} clusters={result.clusters}")
    if result.outcome is not None:
        print({k: v for k, v in result.outcome.counts.items() if k in ("pairs_scored", "auto_matches", "review", "seconds")})


if __name__ == "__main__":
    main()
