-- Golden organisations (legal units), their establishments and contacts. Owned by
-- matching/merge/organisations.py; rebuilt each run from the organisation matcher's clusters.
CREATE SCHEMA IF NOT EXISTS golden;
CREATE TABLE IF NOT EXISTS golden.organisation (
    organisation_id VARCHAR PRIMARY KEY,  -- generated (UUID), stable across runs
    name            VARCHAR,              -- as written by the surviving record (legal form included if it had one)
    legal_form      VARCHAR,
    siren           VARCHAR,
    vat_number      VARCHAR,
    website         VARCHAR,
    company_domain  VARCHAR,
    street          VARCHAR,              -- street .. phone: from one record (the head office's when known)
    postcode        VARCHAR,
    city            VARCHAR,
    country         VARCHAR,
    phone           VARCHAR,
    record_count    INTEGER NOT NULL,
    sources         VARCHAR[] NOT NULL,
    sole_trader     BOOLEAN NOT NULL,     -- its name is a person's: personal data
    first_seen_at   TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.organisation_xref (
    record_key      VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    organisation_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.organisation_lineage (
    organisation_id VARCHAR NOT NULL,
    field           VARCHAR NOT NULL,     -- name, legal_form, siren, vat_number, website, company_domain, address
    record_key      VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.establishment (
    siret           VARCHAR NOT NULL,
    organisation_id VARCHAR NOT NULL,
    street          VARCHAR,
    postcode        VARCHAR,
    city            VARCHAR,
    record_count    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.contact (
    organisation_id VARCHAR NOT NULL,
    golden_id       VARCHAR NOT NULL,     -- the person (golden.customer)
    role            VARCHAR,
    source          VARCHAR NOT NULL,
    record_key      VARCHAR NOT NULL      -- the record naming both
);
-- One row per version of a golden organisation's values (matching/merge/organisation_history.py).
-- The organisations above are rebuilt every run; this table is not: a run adds a version only for
-- an organisation that is new ('created'), whose values differ from its open version ('changed'),
-- or that no longer exists ('gone', values NULL). The open version has valid_to NULL.
-- A new table on an existing warehouse: CREATE IF NOT EXISTS is its migration.
CREATE TABLE IF NOT EXISTS golden.organisation_history (
    organisation_id VARCHAR NOT NULL,
    version         INTEGER NOT NULL,     -- 1, 2, ... per organisation
    change          VARCHAR NOT NULL,     -- created | changed | gone
    changed         VARCHAR[] NOT NULL,   -- the columns that differ from the previous version
    name            VARCHAR,
    legal_form      VARCHAR,
    siren           VARCHAR,
    vat_number      VARCHAR,
    website         VARCHAR,
    company_domain  VARCHAR,
    street          VARCHAR,
    postcode        VARCHAR,
    city            VARCHAR,
    country         VARCHAR,
    phone           VARCHAR,
    sole_trader     BOOLEAN,
    record_count    INTEGER,
    sources         VARCHAR[],
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP,
    run_id          VARCHAR
);
