-- Nearly every customer update is an answer, and an answer updates its
-- lead's score, step and updated_at. PostgreSQL makes such an update HOT
-- (heap-only: no index entry written, the old version pruned in place)
-- only when no indexed column changes and the page has room. Two indexes
-- named a column every answer changes, so every answer wrote an entry into
-- each of the lead's 18 indexes, which was most of PostgreSQL's work per
-- update (see docs/benchmarks.md). Now only the answers that change the
-- stage or the temperature (two or three of a dialogue) touch the indexes.

-- The follow-up sweep pages through the open leads by id and filters on
-- updated_at in the heap: open leads are the live and abandoned dialogues,
-- a small share of all leads.
DROP INDEX leads_stalled_idx;
CREATE INDEX leads_open_idx ON leads (id) WHERE stage IN ('new', 'qualifying');

-- /funnel's "stopped at step" reads step from the heap of the period's
-- unqualified leads (a few thousand rows, in creation order); the other
-- reports never read it.
DROP INDEX leads_created_cover_idx;
CREATE INDEX leads_created_cover_idx ON leads (created_at, id)
    INCLUDE (manager_id, stage, qualified_at, contacted_at, won_at, amount, lost_reason, source, campaign, flow_id);

-- Room on each page for the new versions of its leads, so that a HOT
-- update does not need a page of its own (applies to pages written from
-- now on).
ALTER TABLE leads SET (fillfactor = 80);
