"""Matching settings in `mdm.yaml` (`matching:`). Owned by `matching/`.

Everything has a default tuned for French customer data, so a config can say as little as

```yaml
matching:
  auto_match_threshold: 0.9
  review_threshold: 0.5
```

Blocking rules name *blocking keys* from a fixed vocabulary (`BLOCKING_KEYS`): the SQL behind
each key is written in code, never taken from the config, so a config cannot inject SQL.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Blocking key -> column of the prepared matching input (`matching/prepare.py`) it reads.
BLOCKING_KEYS: dict[str, str] = {
    "email": "email",
    "email_local": "email_local",
    "phone": "phone",
    "phone_tail": "phone_tail",
    "first_name": "fn",
    "last_name": "ln",
    "first_name_canon": "fn_canon",
    "first_initial": "fn_initial",
    "last_initial": "ln_initial",
    "initials": "name_initials",
    "first_name_phonetic": "fn_ph",
    "last_name_phonetic": "ln_ph",
    "name_pair": "name_pair",
    "name_pair_phonetic": "name_pair_ph",
    "birth_date": "dob",
    "birth_year": "dob_year",
    "birth_month_day": "dob_md",
    "postcode": "postcode",
    "city": "city",
    "street": "street",
    "street_number": "street_num",
    "street_name": "street_name",
    "national_id": "nid",
}

#: Comparisons the engine knows (`matching/comparisons.py`).
COMPARISONS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "city",
    "national_id",
)


#: What a blocking rule does when it would yield too many pairs on the data (`blocking.rule_caps`).
WhenLoose = Literal["skip", "keep_small_blocks"]


class BlockingRuleConfig(BaseModel):
    """Records that share every key in `on` become a candidate pair."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Rule name, shown in the blocking statistics and on each pair.")
    on: list[str] = Field(min_length=1, description=f"Blocking keys, from {sorted(BLOCKING_KEYS)}.")
    when_loose: WhenLoose = Field(
        default="skip",
        description="When the rule would yield over max_rule_pairs_per_record: skip it, or keep its blocks up to "
        "the size that fits (its biggest blocks left out).",
    )

    @field_validator("on")
    @classmethod
    def _known_keys(cls, value: list[str]) -> list[str]:
        unknown = [k for k in value if k not in BLOCKING_KEYS]
        if unknown:
            raise ValueError(f"unknown blocking key(s) {unknown}; known: {sorted(BLOCKING_KEYS)}")
        return value


def _default_rules() -> list[BlockingRuleConfig]:
    """Seventeen rules, chosen by measured recall per pair spent (docs/matching.md, "Blocking rules").

    The first release had 36. On ten sets with known truth (FEBRL 1-4, RLdata, the Splink and
    pseudopeople sets, the demo) a greedy choice of the rule that adds the most true pairs per pair
    compared found the first fifteen to give the same clusters within 0.01 of F1 with a third of the pairs;
    the married-name rule is kept for French customer files, where a new surname is common, and
    the same-address rule for duplicates whose names and postcode were both mistyped, which share
    nothing else a rule looks at (its cost is low: the pairs it adds are mostly households).
    Contact keys first (an e-mail, phone or national ID pairs few records), then name and birth-date
    keys, then address keys combined with a name key (alone, addresses explode in big towns).
    """
    rules = {
        "email": ["email"],
        "phone": ["phone"],
        "national_id": ["national_id"],
        "name_dob": ["last_name", "birth_date"],
        "first_name_dob": ["first_name_canon", "birth_date"],
        "names": ["name_pair"],
        # both names' sounds in either order: first and last name swapped, or misspelt
        "swapped_phonetic": ["name_pair_phonetic"],
        "email_local_name": ["email_local", "first_initial"],
        "dob_street_number": ["birth_date", "street_number"],
        "dob_city": ["birth_date", "city"],
        "dob_last_initial": ["birth_date", "last_initial"],
        "postcode_last_name": ["postcode", "last_name_phonetic"],
        "postcode_first_name": ["postcode", "first_name_phonetic", "last_initial"],
        "postcode_number_initial": ["postcode", "street_number", "first_initial"],
        # loose on data where everyone lives in one town: skipped there automatically (see
        # max_rule_pairs_per_record), useful where towns are many and small
        "last_name_city": ["last_name", "city"],
        # same first name at the same postcode, whatever the last name: a married name
        "postcode_first_name_any_last_name": ["postcode", "first_name_phonetic"],
        # the same address line in the same town, whatever the names and postcode: duplicates
        # whose names and postcode were both mistyped, and the members of a household, whom the
        # household rule then keeps apart
        "street_city": ["street", "city"],
    }
    return [BlockingRuleConfig(name=n, on=on) for n, on in rules.items()]


class TrainingConfig(BaseModel):
    """How the Fellegi-Sunter model is fitted (u by random sampling, m by EM)."""

    model_config = ConfigDict(extra="forbid")

    retrain: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="auto: fit when there is no model for these settings, when steward labels changed, or when "
        "the data grew by `retrain_growth`; always: every run; never: reuse the latest model (fit once if none).",
    )
    retrain_growth: float = Field(default=0.5, ge=0, description="Relative growth of the record count that refits.")
    retrain_labels: int = Field(
        default=50, ge=1,
        description="Steward decisions added or withdrawn since the fit that refit the model (with retrain: auto). "
        "Each decision applies at once anyway; a refit rescores every stored pair.",
    )
    u_sample_pairs: int = Field(default=1_000_000, ge=1000, description="Random pairs used to estimate u.")
    em_iterations: int = Field(default=60, ge=1, le=1000, description="Most EM iterations.")
    em_tolerance: float = Field(default=1e-6, gt=0, description="EM stops when no probability moves more than this.")
    seed: int = Field(default=42, description="Seed of the random pair sample (same data + seed = same model).")
    steward_label_weight: float = Field(
        default=1.0, ge=0, description="How much each steward-labelled pair counts in EM (as observed truth)."
    )
    method: Literal["anchored", "sessions", "candidates"] = Field(
        default="sessions",
        description="sessions: EM sessions over pairs agreeing on some fields (the default: the best on every "
        "public benchmark set, docs/matching.md); anchored: then EM over all candidate pairs, started from the "
        "sessions' estimates (and refused if it runs away from them); candidates: EM over all candidate "
        "pairs from a generic start (what big data can lead astray). Sessions with too few pairs fall back to "
        "candidates.",
    )
    em_sessions: list[list[str]] = Field(
        default_factory=lambda: [["last_name", "birth_date"], ["first_name", "birth_date"], ["first_name", "last_name"]],
        description="Comparisons each EM session holds fixed (pairs agreeing exactly on them); every other "
        "comparison is estimated. Together they must leave each comparison free in at least one session.",
    )
    em_session_min_pairs: int = Field(
        default=200, ge=1, description="A session with fewer candidate pairs is skipped (too little to learn from)."
    )


class MatchingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_match_threshold: float = Field(default=0.9, ge=0, le=1, description="Probability above: merged.")
    review_threshold: float = Field(default=0.5, ge=0, le=1, description="Probability above: review queue.")
    store_threshold: float = Field(
        default=0.01, ge=0, le=1, description="Pairs below this probability are not written to match.pairs."
    )
    blocking_rules: list[BlockingRuleConfig] = Field(
        default_factory=_default_rules,
        description="Multi-pass blocking: records sharing every key of a rule become a candidate pair "
        "(defaults: see docs/matching.md).",
    )
    max_block_size: int = Field(
        default=400, ge=2, description="A block with more records is skipped with a warning (e.g. a shared phone)."
    )
    max_rule_pairs_per_record: float = Field(
        default=1.5, gt=0,
        description="A blocking rule that would yield more pairs than this per record is skipped with a warning "
        "(or, with when_loose: keep_small_blocks, keeps only its blocks up to the size that fits).",
    )
    min_rule_pairs: int = Field(
        default=1_000_000, ge=0,
        description="A blocking rule is never skipped as loose below this many pairs: comparing them costs "
        "seconds, and on data where each person has many records the per-record limit would skip the very "
        "rules that find them.",
    )
    max_candidate_pairs: int = Field(
        default=200_000_000, ge=1, description="Refuse to score when blocking would produce more pairs than this."
    )
    comparisons: list[str] = Field(
        default_factory=lambda: list(COMPARISONS), description="Comparisons the model uses (docs/matching.md)."
    )
    tf_adjust: list[str] = Field(
        default_factory=lambda: ["first_name", "last_name", "street"],
        description="Comparisons whose exact level is weighted by value frequency (rare agrees weigh more).",
    )
    tf_minimum: float = Field(default=1e-6, gt=0, description="Lower bound of a term frequency.")
    default_value_min_people: int = Field(
        default=10, ge=2,
        description="A birth date or national id held by at least this many people, and by "
        "`default_value_factor` times more than nearly every other value of its field, is a form's default or "
        "a placeholder: it compares as missing in matching (docs/matching.md).",
    )
    default_value_factor: float = Field(
        default=5.0, gt=1,
        description="How many times the field's 99th percentile of people per value a default is held by.",
    )
    max_cluster_size: int = Field(
        default=25, ge=2,
        description="Larger clusters are split where they are least linked; the cut pairs go to review.",
    )
    min_cluster_density: float = Field(
        default=0.2, ge=0, le=1,
        description="Clusters of at least `density_min_size` records whose share of linked pairs is lower are "
        "split where they are least linked; the cut pairs go to review.",
    )
    density_min_size: int = Field(default=6, ge=3, description="Smallest cluster the density check applies to.")
    incremental: bool = Field(default=True, description="Score only new and changed records against the base.")
    training: TrainingConfig = Field(
        default_factory=TrainingConfig, description="How the model is fitted: u by sampling, m by EM."
    )

    @field_validator("comparisons", "tf_adjust")
    @classmethod
    def _known_comparisons(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in COMPARISONS]
        if unknown:
            raise ValueError(f"unknown comparison(s) {unknown}; known: {list(COMPARISONS)}")
        return value

    @model_validator(mode="after")
    def _known_session_fields(self) -> MatchingConfig:
        """EM sessions name person comparisons here; another party kind's spec validates its own."""
        unknown = sorted({c for session in self.training.em_sessions for c in session} - set(COMPARISONS))
        if unknown:
            raise ValueError(f"training.em_sessions: unknown comparison(s) {unknown}; known: {list(COMPARISONS)}")
        return self

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> MatchingConfig:
        if self.review_threshold > self.auto_match_threshold:
            raise ValueError("review_threshold must not exceed auto_match_threshold")
        names = [r.name for r in self.blocking_rules]
        if len(set(names)) != len(names):
            raise ValueError("blocking rule names must be unique")
        return self

    def model_fingerprint(self) -> str:
        """What the fitted model depends on: comparisons, blocking and training settings."""
        relevant = {
            "comparisons": self.comparisons,
            # a rule at its defaults dumps as before `when_loose` existed: no refit on upgrade
            "blocking": [r.model_dump(exclude_defaults=True) for r in self.blocking_rules],
            "max_block_size": self.max_block_size,
            "max_rule_pairs_per_record": self.max_rule_pairs_per_record,
            "min_rule_pairs": self.min_rule_pairs,
            "training": self.training.model_dump(exclude={"retrain", "retrain_growth", "retrain_labels"}),
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]
