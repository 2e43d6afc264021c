-- 0009: each lead's arms of the flows' experiments, written with the lead
-- (one row per experiment) and never changed: a customer's variant is
-- sticky for the life of the lead, even if the weights change later, so
-- /ab counts what each lead was really shown. Not personal data: /forget
-- leaves the rows, as it leaves the anonymous lead.
CREATE TABLE lead_variants (
    lead_id    bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    experiment text   NOT NULL,
    variant    text   NOT NULL,
    PRIMARY KEY (lead_id, experiment)
);
