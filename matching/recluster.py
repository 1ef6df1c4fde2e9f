"""Incremental clustering: re-cluster only the components a run's changes touch.

Clustering (`matching/clustering.py`) works one connected component of the accepted edges at a
time, so a component whose records, edges and cannot-link pairs are all as they were last run
clusters exactly as it did, and keeps its `match.clusters` rows. A component is touched when it
holds a *seed*:

- a new or changed record; an end of a pair whose steward decision changed (an edge or a
  cannot-link that came or went); an end of a pair (re)scored this run that is an accepted
  edge before or after (a new pair below the thresholds changes nothing);
- a record that lost a partner: the other end of a dropped pair of a changed or vanished record,
  or a record whose count of accepted edges differs from the one stored at the last clustering
  (`match.record_links`: an expiry or an erasure deletes a record's rows between runs without
  the matcher seeing it go);
- a record without a `match.clusters` row.

The touched records are the seeds' components in tonight's graph, found by a recursive query.
Clustering them with their edges and cannot-link pairs, and writing only their rows, gives what a
full clustering would give: any component that changed holds a seed, since a change is an edge
or a record that appeared or went, and each end of it is a seed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from matching import clustering, decisions
from matching.comparisons import household_split_sql
from matching.decisions import BASE_EDGE_SQL, RESCORE_TABLE, STALE_TABLE, STEWARD_TABLE
from matching.prepare import INPUT_TABLE
from matching.spec import EngineSettings, ModelSpec, person_spec
from matching.sql import scalar_int

if TYPE_CHECKING:
    from matching.settings import MatchingConfig

SEEDS_TABLE = "match_seeds"
#: The clustered records, when re-clustering outside the match stage (no `match_input` then).
CLUSTERED_TABLE = "match_clustered"
TOUCHED_TABLE = "match_touched"


def _degrees_sql(schema: str) -> str:
    """SQL: accepted edges (refused ones included) per record, from `match.pairs`."""
    return f"""
        SELECT record_key, count(*) AS links FROM (
            SELECT record_key_l AS record_key FROM {schema}.pairs WHERE {BASE_EDGE_SQL}
            UNION ALL
            SELECT record_key_r FROM {schema}.pairs WHERE {BASE_EDGE_SQL}
        ) GROUP BY record_key
    """


def _rescored_edges_sql(schema: str) -> str:
    """SQL: the ends of pairs (re)scored this run that are accepted edges in `match.pairs` now."""
    return f"""
        SELECT p.record_key_l AS a, p.record_key_r AS b FROM {schema}.pairs p
        JOIN {RESCORE_TABLE} x ON x.record_key_l = p.record_key_l AND x.record_key_r = p.record_key_r
        WHERE {BASE_EDGE_SQL}
    """


def collect_seeds(con: duckdb.DuckDBPyConnection, schema: str = "match") -> int:
    """Temp table `match_seeds`; call before `match.pairs` is rewritten (dropped edges name seeds)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {SEEDS_TABLE} AS
        SELECT record_key FROM {INPUT_TABLE} WHERE is_new
        UNION SELECT unnest([record_key_l, record_key_r]) FROM {RESCORE_TABLE} WHERE steward_changed
        UNION SELECT unnest([a, b]) FROM ({_rescored_edges_sql(schema)})
        UNION SELECT unnest([record_key_l, record_key_r]) FROM {schema}.pairs
              WHERE {BASE_EDGE_SQL} AND (record_key_l IN (SELECT record_key FROM {STALE_TABLE})
                                         OR record_key_r IN (SELECT record_key FROM {STALE_TABLE}))
        UNION SELECT coalesce(d.record_key, s.record_key)
              FROM ({_degrees_sql(schema)}) d FULL JOIN {schema}.record_links s ON s.record_key = d.record_key
              WHERE d.links IS DISTINCT FROM s.links
        UNION SELECT record_key FROM {INPUT_TABLE} i
              WHERE NOT EXISTS (SELECT 1 FROM {schema}.clusters c WHERE c.record_key = i.record_key)
    """)
    return scalar_int(con, f"SELECT count(*) FROM {SEEDS_TABLE}")


def add_edge_seeds(con: duckdb.DuckDBPyConnection, schema: str = "match") -> int:
    """Add to `match_seeds` the ends of the pairs scored this run that became accepted edges."""
    con.execute(f"INSERT INTO {SEEDS_TABLE} SELECT unnest([a, b]) FROM ({_rescored_edges_sql(schema)})")
    return scalar_int(con, f"SELECT count(*) FROM {SEEDS_TABLE}")


def expand(con: duckdb.DuckDBPyConnection, universe: str = INPUT_TABLE, schema: str = "match") -> int:
    """Temp table `match_touched`: every current record (of `universe(record_key)`, a table named
    by code) in a seed's component of `match.pairs`."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_edges_both AS
        SELECT record_key_l AS a, record_key_r AS b FROM {schema}.pairs WHERE {BASE_EDGE_SQL}
        UNION ALL
        SELECT record_key_r, record_key_l FROM {schema}.pairs WHERE {BASE_EDGE_SQL}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {TOUCHED_TABLE} AS
        WITH RECURSIVE reach(record_key) AS (
            SELECT record_key FROM {SEEDS_TABLE} WHERE record_key IN (SELECT record_key FROM {universe})
            UNION
            SELECT e.b FROM reach JOIN match_edges_both e ON e.a = reach.record_key
        )
        SELECT record_key FROM reach
    """)
    con.execute("DROP TABLE match_edges_both")
    return scalar_int(con, f"SELECT count(*) FROM {TOUCHED_TABLE}")


def load_graph(
    con: duckdb.DuckDBPyConnection, records_table: str | None, universe: str = INPUT_TABLE,
    household_split: str | None = None, schema: str = "match",
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Sorted record keys, accepted edges and cannot-link pairs of the records (None: all of the
    `universe`'s).

    Cannot-links are the stewards' non-matches and, with `household_split` (a condition over a
    stored vector, `matching.comparisons.household_split_sql`), candidate pairs that are two
    people of one household.
    """
    keys_where = f"WHERE record_key IN (SELECT record_key FROM {records_table})" if records_table else ""
    edge_where = f"AND record_key_l IN (SELECT record_key FROM {records_table})" if records_table else ""
    keys = con.execute(f"SELECT record_key FROM {universe} {keys_where} ORDER BY record_key").df()["record_key"]
    edges = con.execute(f"""
        SELECT record_key_l, record_key_r, match_weight, decision = 'steward_match' AS steward
        FROM {schema}.pairs WHERE decision IN ('auto_match', 'steward_match') {edge_where}
    """).df()
    household = ""
    if household_split:
        # ... unless the pair's own evidence still says "maybe the same" (review or better):
        # an identical birth date and national ID outweigh a first name typed as another one.
        household = (f" UNION SELECT record_key_l, record_key_r FROM {schema}.candidates c"
                     f" WHERE ({household_split}) {edge_where} AND NOT EXISTS (SELECT 1 FROM {schema}.pairs p"
                     " WHERE p.record_key_l = c.record_key_l AND p.record_key_r = c.record_key_r"
                     " AND p.decision IN ('auto_match', 'review', 'steward_match'))")
    cannot = con.execute(
        f"SELECT record_key_l, record_key_r FROM {STEWARD_TABLE} WHERE decision = 'non_match' {edge_where}"
        f"{household}"
    ).df()
    return keys.to_numpy(), edges, cannot


def write_clusters(
    con: duckdb.DuckDBPyConnection, clusters: pd.DataFrame, records_table: str | None, schema: str = "match"
) -> None:
    """Make `match.clusters` equal `clusters` over `records_table` (None: over every record).

    Only rows that changed are touched: rewriting a million rows of an indexed table each night
    costs more than the clustering itself. Rows of changed or vanished records go first.
    """
    con.register("match_clusters_frame", clusters)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE match_clusters_new AS SELECT record_key, cluster_id FROM match_clusters_frame"
        )
    finally:
        con.unregister("match_clusters_frame")
    if records_table is None:
        scope = ""
    else:
        con.execute(f"DELETE FROM {schema}.clusters WHERE record_key IN (SELECT record_key FROM {STALE_TABLE})")
        scope = f"AND c.record_key IN (SELECT record_key FROM {records_table})"
    con.execute(f"""
        DELETE FROM {schema}.clusters c
        WHERE NOT EXISTS (SELECT 1 FROM match_clusters_new n
                          WHERE n.record_key = c.record_key AND n.cluster_id = c.cluster_id) {scope}
    """)
    con.execute(f"""
        INSERT INTO {schema}.clusters
        SELECT n.record_key, n.cluster_id FROM match_clusters_new n
        WHERE NOT EXISTS (SELECT 1 FROM {schema}.clusters c WHERE c.record_key = n.record_key)
    """)
    con.execute("DROP TABLE match_clusters_new")


def write_links(
    con: duckdb.DuckDBPyConnection, suspicious_leads: list[str], records_table: str | None, schema: str = "match"
) -> None:
    """Store each linked record's accepted-edge count and whether it leads a suspicious cluster."""
    leads = pd.DataFrame({"record_key": pd.Series(suspicious_leads, dtype=str)})
    if records_table is None:
        con.execute(f"DELETE FROM {schema}.record_links")
        scope = ""
    else:
        con.execute(f"""
            DELETE FROM {schema}.record_links
            WHERE record_key IN (SELECT record_key FROM {records_table})
               OR record_key IN (SELECT record_key FROM {STALE_TABLE})
        """)
        scope = f"WHERE d.record_key IN (SELECT record_key FROM {records_table})"
    con.register("match_leads_frame", leads)
    try:
        con.execute(f"""
            INSERT INTO {schema}.record_links (record_key, links, leads_suspicious)
            SELECT d.record_key, d.links, d.record_key IN (SELECT record_key FROM match_leads_frame)
            FROM ({_degrees_sql(schema)}) d {scope}
        """)
    finally:
        con.unregister("match_leads_frame")


def global_stats(con: duckdb.DuckDBPyConnection, schema: str = "match") -> dict[str, int]:
    """Cluster counts over the whole stored result, the same whichever records were re-clustered."""
    row = con.execute(f"""
        WITH sizes AS (SELECT cluster_id, count(*) AS n FROM {schema}.clusters GROUP BY cluster_id)
        SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n) FILTER (WHERE n > 1), 0) FROM sizes
    """).fetchall()[0]
    refusals = scalar_int(
        con, f"SELECT count(*) FROM {schema}.pairs WHERE reason IN (?, ?)",
        [clustering.REASON_CANNOT_LINK, clustering.REASON_MUST_LINK_CONFLICT],
    )
    suspicious = scalar_int(con, f"SELECT count(*) FROM {schema}.record_links WHERE leads_suspicious")
    return {
        "clusters": int(row[0]),
        "multi_record_clusters": int(row[1]),
        "records_in_multi_clusters": int(row[2]),
        "cannot_link_refusals": refusals,
        "suspicious_clusters": suspicious,
    }


def recluster(
    con: duckdb.DuckDBPyConnection, spec: ModelSpec, cfg: EngineSettings, scope: str | None, now: datetime,
    universe: str = INPUT_TABLE,
) -> int:
    """Cluster the records of `scope` (whole components; None: every record of `universe`) and
    store clusters, refusals, links and the decisions' mirror; returns how many were clustered.

    Needs the temp tables `match_steward` (cannot-links) and `match_stale` (records gone)."""
    schema = spec.schema
    if scope is not None:
        decisions.reset_cluster_feedback(con, scope, schema)
    split = household_split_sql(list(spec.comparisons), spec.household)
    keys, edges, cannot = load_graph(con, scope, universe, split, schema)
    result = clustering.cluster(
        keys, edges, cannot, clustering.Limits(cfg.max_cluster_size, cfg.min_cluster_density, cfg.density_min_size)
    )
    decisions.apply_cluster_feedback(con, result.feedback, schema)
    write_clusters(con, result.clusters, scope, schema)
    write_links(con, result.suspicious_leads, scope, schema)
    decisions.mirror_decisions(con, now, schema)
    return len(keys)


def seed_removal(con: duckdb.DuckDBPyConnection, keys_table: str, schema: str = "match") -> int:
    """Before the records of `keys_table(record_key)` are deleted: `match_seeds` = the records that
    shared a cluster or an accepted edge with them. Their components may fall apart once the
    records go (a removed record can be the only bridge of a cluster)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {SEEDS_TABLE} AS
        SELECT record_key FROM {schema}.clusters
        WHERE cluster_id IN (SELECT cluster_id FROM {schema}.clusters
                             WHERE record_key IN (SELECT record_key FROM {keys_table}))
        UNION SELECT unnest([record_key_l, record_key_r]) FROM {schema}.pairs
              WHERE {BASE_EDGE_SQL} AND (record_key_l IN (SELECT record_key FROM {keys_table})
                                         OR record_key_r IN (SELECT record_key FROM {keys_table}))
    """)
    con.execute(f"DELETE FROM {SEEDS_TABLE} WHERE record_key IN (SELECT record_key FROM {keys_table})")
    return scalar_int(con, f"SELECT count(*) FROM {SEEDS_TABLE}")


def recluster_after_removal(
    con: duckdb.DuckDBPyConnection, cfg: MatchingConfig, steward_decisions: list[dict[str, Any]],
    keys_table: str, now: datetime, spec: ModelSpec | None = None,
) -> int:
    """After the records of `keys_table` were deleted from every layer (expiry, erasure): cluster
    again the components `seed_removal` marked, exactly as the next run's match stage would, so
    that run finds nothing to change. Returns how many records were re-clustered.

    `spec`: the party kind (None: persons as `cfg` configures them)."""
    spec = spec or person_spec(cfg)
    schema = spec.schema
    decisions.register_steward_decisions(con, steward_decisions)
    con.execute(f"""
        DELETE FROM {STEWARD_TABLE} WHERE record_key_l IN (SELECT record_key FROM {keys_table})
                                       OR record_key_r IN (SELECT record_key FROM {keys_table})
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STALE_TABLE} AS SELECT record_key FROM {keys_table}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CLUSTERED_TABLE} AS SELECT record_key FROM {schema}.clusters")
    try:
        expand(con, CLUSTERED_TABLE, schema)
        return recluster(con, spec, cfg, TOUCHED_TABLE, now, CLUSTERED_TABLE)
    finally:
        for table in (SEEDS_TABLE, TOUCHED_TABLE, STALE_TABLE, CLUSTERED_TABLE, STEWARD_TABLE):
            con.execute(f"DROP TABLE IF EXISTS {table}")


def match_figures(con: duckdb.DuckDBPyConnection, schema: str = "match") -> dict[str, int]:
    """The matching figures a summary shows, read from the stored result: the match stage reports
    them, and retention and erasure again after they removed records, so every reader (summary,
    CLI, app, report) sees the figures of what is published."""
    stats = global_stats(con, schema)
    by_decision = dict(con.execute(f"SELECT decision, count(*) FROM {schema}.pairs GROUP BY decision").fetchall())
    return {
        "auto_matches": int(by_decision.get("auto_match", 0)),
        "review": int(by_decision.get("review", 0)),
        "steward_matches": int(by_decision.get("steward_match", 0)),
        "steward_non_matches": int(by_decision.get("steward_non_match", 0)),
        "duplicates_found": stats["records_in_multi_clusters"] - stats["multi_record_clusters"],
        "clusters": stats["clusters"],
        "cannot_link_refusals": stats["cannot_link_refusals"],
        "suspicious_clusters": stats["suspicious_clusters"],
    }
