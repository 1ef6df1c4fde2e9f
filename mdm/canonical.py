"""The canonical customer record every source is mapped onto.

Sources map their own columns onto these names in `mdm.yaml` (`mapping:`); the standardiser
produces `staging.customers` with these fields (plus matching keys and status columns).
"""

from __future__ import annotations

#: Person and contact fields, in display order. `full_name` exists only as a mapping target:
#: the standardiser splits it into first and last name.
PERSON_FIELDS: tuple[str, ...] = (
    "title",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "country",
    "birth_date",
    "national_id",
)

#: Business fields (B2B records and relationship state).
BUSINESS_FIELDS: tuple[str, ...] = (
    "company",
    "siret",
    "vat_number",
    "customer_status",
    "opt_in",
)

#: Organisation fields a source may map besides `company`, `siret` and `vat_number` (docs/organisations.md):
#: the SIREN of the legal unit, the legal form when a source keeps it apart from the name, the
#: website, and the role of a contact person at the organisation ("Directeur achats").
#: Address and phone are the person fields': a row without names describes the organisation's.
ORGANISATION_FIELDS: tuple[str, ...] = (
    "siren",
    "legal_form",
    "website",
    "contact_role",
)

#: Dates that drive survivorship ("most recent") and retention.
ACTIVITY_FIELDS: tuple[str, ...] = (
    "created_at",
    "updated_at",
    "last_contact_at",
    "relationship_end_at",
    "last_order_at",
)

CANONICAL_FIELDS: tuple[str, ...] = PERSON_FIELDS + BUSINESS_FIELDS + ORGANISATION_FIELDS + ACTIVITY_FIELDS

#: What a source row describes (`staging.customers.party_kind`), read from what it holds: names
#: and a company name: a person who is a contact of that organisation (a trade-fair badge
#: "Marie Durand, Véranda Confort"); a company name or company identifier and no names: an
#: organisation; otherwise a person.
PARTY_KINDS: tuple[str, ...] = ("person", "organisation", "contact")

#: Fields carried into the golden record (full_name is split before it gets there).
GOLDEN_FIELDS: tuple[str, ...] = tuple(
    f for f in PERSON_FIELDS + BUSINESS_FIELDS if f not in ("full_name",)
)

#: Fields that identify a person directly: never logged, hashed in audit trails, searched for
#: in the bytes of every file after an erasure.
DIRECT_IDENTIFIERS: tuple[str, ...] = (
    "first_name", "last_name", "full_name", "email", "phone", "street", "national_id",
)

#: What an event source (`records: events`) maps onto (docs/events.md). The customer is found by
#: `customer_key` (the key of a record of the source's `customer_source`), else by e-mail, else phone.
EVENT_FIELDS: tuple[str, ...] = (
    "customer_key",
    "email",
    "phone",
    "event_type",
    "occurred_at",
    "channel",
    "amount",
    "currency",
    "initiated_by_customer",
)

#: Dates retention rules can also count from that no source record holds: they are read on the
#: person's timeline (`golden.customer_event`, docs/events.md). `last_initiated_contact_at` is the
#: last event the person started (an order, a ticket, a reply): CNIL's "last contact from the prospect".
EVENT_TRIGGER_FIELDS: tuple[str, ...] = ("last_initiated_contact_at",)
