"""Which of a source's loads is newer: `raw.loads.seq`, the order the loads were stored in.

A record sent again wins over its older versions; two loads of one run (`tiers.csv` and
`tiers_update.csv` the same night), a frozen clock (`MDM_NOW`) or a clock stepping back would
tie or misorder on `started_at`, and a tie broken by the load ID (a hash) picks at random. The
sequence (`warehouse/ddl/10_raw.sql`) numbers loads as they are inserted, so every reader orders
them the same way.
"""

from __future__ import annotations

#: SQL sort key over `raw.loads` aliased `l`, newest load first.
NEWEST_LOAD_FIRST = "l.seq DESC"
