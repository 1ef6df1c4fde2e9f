-- Standardised canonical records, one per source record (latest load wins). Owned by standardise/.
-- A row is rewritten only when its source payload (or the source's config) changed; the
-- validate stage then checks it (validated_run_id) and may quarantine it. The matching engine
-- reads the view staging.valid_customers (defined in 30_quarantine.sql, after quarantine.rows).
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS staging.customers (
    record_key          VARCHAR PRIMARY KEY,
    source              VARCHAR NOT NULL,
    load_id             VARCHAR NOT NULL,
    trust_rank          INTEGER NOT NULL,
    retention_category  VARCHAR,
    title               VARCHAR,
    first_name          VARCHAR,
    last_name           VARCHAR,
    first_name_key      VARCHAR,           -- accent-folded, lower-case: for matching
    last_name_key       VARCHAR,
    email               VARCHAR,           -- normalised; NULL when missing or invalid
    email_raw           VARCHAR,
    email_status        VARCHAR,           -- valid | invalid | missing
    email_flags         VARCHAR[],         -- e.g. domain_typo, role_address
    phone               VARCHAR,           -- E.164; NULL when missing or invalid
    phone_raw           VARCHAR,
    phone_status        VARCHAR,           -- valid | invalid | missing
    phone_type          VARCHAR,           -- mobile | fixed_line | ...
    street              VARCHAR,
    street_key          VARCHAR,           -- folded, abbreviations expanded: for matching
    postcode            VARCHAR,
    city                VARCHAR,
    city_key            VARCHAR,
    country             VARCHAR,           -- ISO 3166 alpha-2
    birth_date          DATE,
    birth_date_status   VARCHAR,           -- valid | invalid | missing
    company             VARCHAR,
    siret               VARCHAR,
    vat_number          VARCHAR,
    customer_status     VARCHAR,
    opt_in              BOOLEAN,
    created_at          TIMESTAMP,
    updated_at          TIMESTAMP,
    last_contact_at     TIMESTAMP,
    relationship_end_at TIMESTAMP,
    last_order_at       TIMESTAMP,
    issues              VARCHAR[],         -- standardisation issue codes (not blocking by themselves)
    standardised_at     TIMESTAMP NOT NULL,
    email_suggestion    VARCHAR,           -- likely intended address when the domain looks misspelt
    payload_hash        VARCHAR,           -- md5 of the payload standardised (unchanged = not redone)
    config_hash         VARCHAR,           -- fingerprint of the source's config + standardiser version
    standardised_run_id VARCHAR,
    validated_run_id    VARCHAR            -- NULL until the validate stage has checked this version
);
-- Loads whose records the standardise stage has taken in (so the next run skips them).
CREATE TABLE IF NOT EXISTS staging.standardised_loads (
    load_id VARCHAR PRIMARY KEY,
    source  VARCHAR NOT NULL,
    run_id  VARCHAR NOT NULL,
    standardised_at TIMESTAMP NOT NULL
);

-- Migrations (see warehouse/schema.py): columns added after the first release.
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS national_id VARCHAR;  -- upper case, no separators, NULL when invalid
-- Organisations (issue 21, docs/organisations.md): legal unit, legal form kept for display, the
-- name's comparison key, web domain (never a webmail one), a contact's role, and what the row
-- describes (person / organisation / contact).
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS siren VARCHAR;           -- 9 digits; given, else from the SIRET or a French VAT number
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS legal_form VARCHAR;      -- SAS, GmbH, Ltd... (mdm/standardise/data/legal_forms.csv)
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS company_key VARCHAR;     -- folded name without legal form and small words: for matching
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS website VARCHAR;
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS company_domain VARCHAR;  -- website host, else a business e-mail's domain
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS contact_role VARCHAR;
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS party_kind VARCHAR;      -- person | organisation | contact
