-- Golden households: golden customers who live together (a landline, a family e-mail, or an
-- address and a surname shared). Owned by matching/merge/households.py; rebuilt each run after
-- expiry. No name or address of its own: members are golden customers.
CREATE SCHEMA IF NOT EXISTS golden;
CREATE TABLE IF NOT EXISTS golden.household (
    household_id       VARCHAR PRIMARY KEY,  -- generated (UUID), stable across runs
    members            INTEGER NOT NULL,     -- golden customers in it (2 or more)
    reachable_members  INTEGER NOT NULL,     -- members with an e-mail or a phone
    consenting_members INTEGER NOT NULL,     -- members whose marketing consent (opt_in) is true
    linked_by          VARCHAR[] NOT NULL,   -- landline / email / address_and_surname
    first_seen_at      TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.household_member (
    household_id VARCHAR NOT NULL,
    golden_id    VARCHAR NOT NULL,
    linked_by    VARCHAR[] NOT NULL          -- the channels that link this customer to the others
);
