"""The review queue: which pending suggestion a steward should see first.

Most useful first means (issue 8): pairs the model is least sure about (probability near 0.5)
and pairs that would merge large customers. The ordering is computed ONCE per publication into
an in-memory table (`memory.main.review_queue`), so a queue page is a filtered top-N over
pre-ranked rows, not a join over the warehouse: 100,000 suggestions answer in milliseconds.

    priority = 0.7 * uncertainty + 0.3 * size_score
    uncertainty = 1 - |p - 0.5| * 2                        (1 at p = 0.5, 0 at p = 0 or 1)
    size_score  = min(1, log2(records merged) / 6)         (2 records -> 0.17, 64+ records -> 1)

Settled pairs never enter it: a pair whose records are already in one customer (through other
records) has nothing left to decide. Pairs already decided in the stewardship store (waiting for
the next run), pairs those "match" decisions settle (`mdm.web.clusters`), pairs reserved by another
steward (a lease) or skipped by this steward are left out per request.

Organisation suggestions (the organisation matcher's review pairs, `match_org.pairs`) share the
queue and its ranking, marked `party = 'organisation'`, with the pair id `org|LEFT|RIGHT` (the same
two records can be a person pair too) and the size of the organisations a match would join.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from mdm.web import clusters

QUEUE_TABLE = "memory.main.review_queue"
EXCLUDED_VIEW = "web_excluded_pairs"
#: Prefix of an organisation suggestion's pair id.
ORG_PREFIX = "org|"
PAGE_COLUMNS: tuple[str, ...] = ("rank", "party", "pair_id", "record_key_l", "record_key_r", "source_l", "source_r",
                                 "match_probability", "match_weight", "merged_size", "priority", "name_l", "name_r")

#: The organisation suggestions, in the layout of the person ones (no golden customers: they never
#: settle person pairs).
ORG_QUEUE_SQL = f"""
    UNION ALL
    SELECT 'organisation' AS party, p.record_key_l, p.record_key_r,
           '{ORG_PREFIX}' || p.record_key_l || '|' || p.record_key_r AS pair_id,
           split_part(p.record_key_l, ':', 1), split_part(p.record_key_r, ':', 1),
           p.match_probability, p.match_weight, NULL::VARCHAR, NULL::VARCHAR,
           CASE WHEN ol.organisation_id IS NOT NULL AND ol.organisation_id = orr.organisation_id
                THEN coalesce(ol.record_count, 1)
                ELSE coalesce(ol.record_count, 1) + coalesce(orr.record_count, 1) END,
           sl.company, sr.company
    FROM pub.match_org.pairs p
    LEFT JOIN (SELECT x.record_key, o.organisation_id, o.record_count FROM pub.golden.organisation_xref x
               JOIN pub.golden.organisation o USING (organisation_id)) ol ON ol.record_key = p.record_key_l
    LEFT JOIN (SELECT x.record_key, o.organisation_id, o.record_count FROM pub.golden.organisation_xref x
               JOIN pub.golden.organisation o USING (organisation_id)) orr ON orr.record_key = p.record_key_r
    LEFT JOIN pub.staging.customers sl ON sl.record_key = p.record_key_l
    LEFT JOIN pub.staging.customers sr ON sr.record_key = p.record_key_r
    WHERE p.decision = 'review'
      AND NOT (ol.organisation_id IS NOT NULL AND ol.organisation_id IS NOT DISTINCT FROM orr.organisation_id)
"""

BUILD_SQL = f"""
CREATE OR REPLACE TABLE {QUEUE_TABLE} AS
WITH cur AS (
    SELECT x.record_key, x.golden_id, c.record_count
    FROM pub.golden.xref x JOIN pub.golden.customer c USING (golden_id)
    WHERE x.valid_to IS NULL
),
q AS (
    SELECT 'person' AS party, p.record_key_l, p.record_key_r,
           p.record_key_l || '|' || p.record_key_r AS pair_id,
           split_part(p.record_key_l, ':', 1) AS source_l,
           split_part(p.record_key_r, ':', 1) AS source_r,
           p.match_probability, p.match_weight,
           cl.golden_id AS golden_l, cr.golden_id AS golden_r,
           CASE WHEN cl.golden_id IS NOT NULL AND cl.golden_id = cr.golden_id
                THEN coalesce(cl.record_count, 1)
                ELSE coalesce(cl.record_count, 1) + coalesce(cr.record_count, 1) END AS merged_size,
           coalesce(nullif(trim(concat_ws(' ', sl.first_name, sl.last_name)), ''), sl.email) AS name_l,
           coalesce(nullif(trim(concat_ws(' ', sr.first_name, sr.last_name)), ''), sr.email) AS name_r
    FROM pub.match.pairs p
    LEFT JOIN cur cl ON cl.record_key = p.record_key_l
    LEFT JOIN cur cr ON cr.record_key = p.record_key_r
    LEFT JOIN pub.staging.customers sl ON sl.record_key = p.record_key_l
    LEFT JOIN pub.staging.customers sr ON sr.record_key = p.record_key_r
    WHERE p.decision = 'review'
      AND NOT (cl.golden_id IS NOT NULL AND cl.golden_id IS NOT DISTINCT FROM cr.golden_id)
    {{organisations}}
)
, ranked AS (
    SELECT *,
           0.7 * (1 - abs(match_probability - 0.5) * 2)
           + 0.3 * least(1.0, log2(greatest(merged_size, 1)) / 6.0) AS priority
    FROM q
)
SELECT row_number() OVER (ORDER BY priority DESC, pair_id) AS rank, *
FROM ranked
ORDER BY rank
"""


@dataclass(frozen=True)
class QueueFilter:
    source: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    party: str | None = None  # person | organisation; None: both

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "min_score": self.min_score, "max_score": self.max_score,
                "party": self.party}


def build_queue(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rank the pending suggestions of a freshly opened publication (called once per publication).

    Also returns `queue_index` {pair_id: (rank, source_l, source_r, probability)}: with it, the
    pairs to leave out are checked in Python, and only those actually in the queue and the filter
    cost anything per request. The table is stored in rank order, so a rank range reads only the
    row groups that hold it.
    """
    has_org = bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'pub' AND schema_name = 'match_org' "
        "AND table_name = 'pairs'").fetchall()[0][0]) and bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'pub' AND schema_name = 'golden' "
        "AND table_name = 'organisation_xref'").fetchall()[0][0])
    con.execute(BUILD_SQL.replace("{organisations}", ORG_QUEUE_SQL if has_org else ""))
    sources = [r[0] for r in con.execute(
        f"SELECT DISTINCT s FROM (SELECT source_l AS s FROM {QUEUE_TABLE} UNION SELECT source_r FROM {QUEUE_TABLE}) "
        "ORDER BY s"
    ).fetchall()]
    rows = con.execute(
        f"SELECT pair_id, rank, source_l, source_r, match_probability, golden_l, golden_r, party FROM {QUEUE_TABLE}"
    ).fetchall()
    index = {r[0]: (int(r[1]), r[2], r[3], r[4], r[7]) for r in rows}
    goldens = {r[0]: (r[5], r[6]) for r in rows}
    return {"queue_sources": sources, "queue_index": index, "queue_goldens": goldens,
            "queue_by_golden": clusters.by_golden(goldens)}


def matches(flt: QueueFilter, source_l: str, source_r: str, probability: float, party: str = "person") -> bool:
    """The filter of `_where`, in Python (for the few pairs left out)."""
    if flt.party and flt.party != party:
        return False
    if flt.source and flt.source not in (source_l, source_r):
        return False
    if flt.min_score is not None and probability < flt.min_score:
        return False
    return flt.max_score is None or probability <= flt.max_score


def _where(flt: QueueFilter, excluded: list[str]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.party:
        clauses.append("party = ?")
        params.append(flt.party)
    if flt.source:
        clauses.append("(source_l = ? OR source_r = ?)")
        params += [flt.source, flt.source]
    if flt.min_score is not None:
        clauses.append("match_probability >= ?")
        params.append(flt.min_score)
    if flt.max_score is not None:
        clauses.append("match_probability <= ?")
        params.append(flt.max_score)
    if excluded:
        clauses.append(f"pair_id NOT IN (SELECT pair_id FROM {EXCLUDED_VIEW})")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _register_excluded(cur: duckdb.DuckDBPyConnection, excluded: list[str]) -> None:
    """The pairs to leave out, as a table on this cursor: an anti-join stays fast with thousands."""
    if excluded:
        cur.register(EXCLUDED_VIEW, pa.table({"pair_id": pa.array(excluded, type=pa.string())}))


def queue_page(
    cur: duckdb.DuckDBPyConnection,
    flt: QueueFilter,
    excluded: list[str],
    limit: int,
    offset: int = 0,
    index: dict[str, tuple[int, str, str, float, str]] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the queue, most useful first, and how many suggestions match the filter.

    With the publication's `index`, the left-out pairs that matter (in the queue and in the
    filter) are found in Python; the page is then the top `offset + limit + len(those)` rows,
    minus those, and the count is the filtered count minus their number: no join per request.
    """
    if index is None:
        return _query_page(cur, flt, excluded, limit, offset)
    gone = {index[e][0] for e in set(excluded) if e in index and matches(flt, *index[e][1:])}
    wanted = offset + limit + len(gone)
    where, params = _where(flt, [])
    if where:
        ranks = [r[0] for r in cur.execute(
            f"SELECT rank FROM {QUEUE_TABLE}{where} ORDER BY rank LIMIT ?", [*params, wanted]).fetchall()]
        total = int(cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE}{where}", params).fetchall()[0][0])
    else:
        ranks = list(range(1, min(wanted, len(index)) + 1))
        total = len(index)
    page = [r for r in ranks if r not in gone][offset: offset + limit]
    if not page:
        return [], total - len(gone)
    rows = cur.execute(
        f"SELECT {', '.join(PAGE_COLUMNS)} FROM {QUEUE_TABLE} WHERE rank BETWEEN ? AND ? ORDER BY rank",
        [page[0], page[-1]],
    ).fetchall()
    keep = set(page)
    out = [dict(zip(PAGE_COLUMNS, r, strict=True)) for r in rows]
    return [{k: v for k, v in r.items() if k != "rank"} for r in out if r["rank"] in keep], total - len(gone)


def _query_page(
    cur: duckdb.DuckDBPyConnection, flt: QueueFilter, excluded: list[str], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    _register_excluded(cur, excluded)
    where, params = _where(flt, excluded)
    rows = cur.execute(
        f"SELECT {', '.join(PAGE_COLUMNS)} FROM {QUEUE_TABLE}{where} ORDER BY rank LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    total = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE}{where}", params).fetchall()[0][0]
    return [{k: v for k, v in zip(PAGE_COLUMNS, r, strict=True) if k != "rank"} for r in rows], int(total)


def candidates(
    cur: duckdb.DuckDBPyConnection,
    flt: QueueFilter,
    excluded: list[str],
    limit: int = 20,
    index: dict[str, tuple[int, str, str, float, str]] | None = None,
) -> list[str]:
    """The next few pair ids to try to lease, most useful first."""
    rows, _ = queue_page(cur, flt, excluded, limit, index=index)
    return [r["pair_id"] for r in rows]


def split_pair_id(pair_id: str) -> tuple[str, str]:
    left, sep, right = pair_id.removeprefix(ORG_PREFIX).partition("|")
    if not sep or not left or not right:
        raise ValueError("not a pair id")
    return left, right


def pair_id_of(left: str, right: str) -> str:
    a, b = (left, right) if left < right else (right, left)
    return f"{a}|{b}"
