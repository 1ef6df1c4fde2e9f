"""`events:` in `mdm.yaml`: what the event types mean. Owned by `mdm/events/`.

Event sources themselves are ordinary `sources:` entries with `records: events` (same connectors,
same inbox, same once-only loading); this section says which event types are purchases and which
are contacts the customer starts when a source does not say so itself.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _lower_names(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


class EventsConfig(BaseModel):
    """Meaning of event types and the currency revenue is counted in."""

    model_config = ConfigDict(extra="forbid")

    purchase_types: list[str] = Field(
        default_factory=lambda: ["order", "invoice", "purchase"],
        description="Event types that are purchases: they count as orders and their amounts as revenue "
        "(first/last purchase, RFM, lifetime value).",
    )
    initiated_types: list[str] = Field(
        default_factory=lambda: [
            "order", "invoice", "purchase", "ticket", "call", "campaign_reply", "visit", "consent_given",
            "consent_withdrawn", "login", "request",
        ],
        description="Event types the customer starts, used when a source maps no `initiated_by_customer` "
        "column (or leaves it empty). Retention counts from the last of these (CNIL: 'the last contact from "
        "the prospect'); a campaign sent to someone is not their contact.",
    )
    type_names: dict[str, str] = Field(
        default_factory=lambda: {
            "commande": "order", "facture": "invoice", "achat": "purchase", "appel": "call",
            "reclamation": "ticket", "réclamation": "ticket", "ticket sav": "ticket", "visite": "visit",
            "reponse campagne": "campaign_reply", "réponse campagne": "campaign_reply",
            "envoi campagne": "campaign_send",
        },
        description="Source event-type words -> our event type (compared in lower case), so a French export's "
        "'Commande' is an `order`. A type not listed is kept as written, in lower case.",
    )
    currency: str = Field(
        default="EUR",
        description="Currency revenue and lifetime value are counted in (ISO 4217). Amounts in another "
        "currency stay on the timeline but are not added up: no exchange rate is guessed.",
    )
    default_currency: str = Field(
        default="EUR", description="Currency of an amount whose source gives none (ISO 4217)."
    )
    future_tolerance_days: int = Field(
        default=1, ge=0,
        description="An event dated more than this many days after the run is quarantined "
        "(`event_in_future`): retention and recency count from event dates.",
    )

    @field_validator("purchase_types", "initiated_types")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return _lower_names(values)

    @field_validator("type_names")
    @classmethod
    def _lower_keys(cls, names: dict[str, str]) -> dict[str, str]:
        return {k.strip().lower(): v.strip().lower() for k, v in names.items()}

    @field_validator("currency", "default_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        value = value.strip().upper()
        if not _CURRENCY.match(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (three letters, e.g. EUR)")
        return value
