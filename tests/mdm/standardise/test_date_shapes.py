"""The shape pre-test of declared date formats: it only saves time, it never changes a result."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from mdm.standardise.dates import format_shape, standardise_timestamp

NOW = datetime(2026, 11, 23, 12, 0)
VALUES = ["03/04/1980", "3/4/1980", "03/04/1980 10:05", "03/04/1980 10:05:07", "1980-04-03", "2018-11-04T08:06:46Z",
          "2018-11-04 08:06", "29314", "31/02/1980", "03/04/80", "garbage", None]


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%y", "%Y%m%d"])
def test_every_value_strptime_accepts_fits_the_shape(fmt: str) -> None:
    shape = format_shape(fmt)
    assert shape is not None
    import re

    for value in [v for v in VALUES if v is not None]:
        for suffix in ("", " %H:%M", " %H:%M:%S"):
            if pd.to_datetime(value, format=fmt + suffix, errors="coerce") is not pd.NaT:
                full = format_shape(fmt + suffix)
                assert full is not None
                assert re.fullmatch(full.removeprefix("(?i)^").removesuffix("$").replace(r"\p{Nd}", r"\d"), value)


def test_unknown_directives_mean_no_pre_test() -> None:
    assert format_shape("%b %d %Y") is None
    assert format_shape("%d/%m/%Y") is not None


def test_timestamps_parse_as_before() -> None:
    raw = pd.Series(VALUES, dtype=object)
    parsed, unparseable, _ = standardise_timestamp(raw, "%d/%m/%Y", NOW)
    assert parsed.iloc[0] == pd.Timestamp("1980-04-03")
    assert parsed.iloc[3] == pd.Timestamp("1980-04-03 10:05:07")
    assert parsed.iloc[5] == pd.Timestamp("2018-11-04 08:06:46")  # ISO after the declared format failed
    assert parsed.iloc[7] == pd.Timestamp("1980-04-03")  # Excel serial
    assert list(unparseable) == [False, False, False, False, False, False, False, False, True, True, True, False]
