"""The default retention policy, after the CNIL's guidance for commercial activities.

Used when `mdm.yaml` has no `retention.rules`. Documented in `docs/retention.md`; a test checks
that the two stay in step.

- Prospects: 3 years after the last contact they initiated (creation date when there is none).
- Customers (and former customers): 3 years after the end of the commercial relationship; with
  no end date, after the last order, else the last contact they initiated.
- Inactive online accounts: 2 years after the last activity (login or order).
- Newsletter subscribers (our choice, the CNIL sets none): 3 years after subscription or the
  last renewal of consent / last contact, as for prospects: a subscriber is someone we prospect.
"""

from __future__ import annotations

#: Plain data, validated into `RetentionRule`s by `RetentionConfig.effective_rules` (this module
#: imports nothing, so the config model can import it).
DEFAULT_RULES: list[dict[str, object]] = [
    {
        "name": "prospect_3y",
        "category": "prospect",
        "trigger": ["last_contact_at", "created_at"],
        "period": "3y",
        "action": "delete",
    },
    {
        "name": "customer_3y",
        "category": "customer",
        "trigger": ["relationship_end_at", "last_order_at", "last_contact_at", "created_at"],
        "period": "3y",
        "action": "delete",
    },
    {
        "name": "former_customer_3y",
        "category": "former_customer",
        "trigger": ["relationship_end_at", "last_order_at", "last_contact_at", "created_at"],
        "period": "3y",
        "action": "delete",
    },
    {
        "name": "online_account_2y",
        "category": "online_account",
        "trigger": ["last_contact_at", "last_order_at", "updated_at", "created_at"],
        "period": "2y",
        "action": "delete",
    },
    {
        "name": "newsletter_3y",
        "category": "newsletter_subscriber",
        "trigger": ["last_contact_at", "created_at"],
        "period": "3y",
        "action": "delete",
    },
]

