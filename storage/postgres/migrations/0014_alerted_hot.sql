-- 0014: marking a lead alerted (its card reached the team: alerted_at,
-- SalesStore.SaveCardRef / MarkAlerted) is a heap-only update. Every hot
-- lead gets it once, right after its card is posted, and two indexes named
-- the column: so it wrote an entry into each of the lead's 19 indexes
-- (measured: about 150 µs of PostgreSQL's time per lead, the costliest
-- statement of the alert; docs/benchmarks.md).

-- The claim-SLA sweep (DueClaimBreaches) reads the unclaimed qualified
-- leads (the few awaiting a rep) and filters and sorts them by alerted_at
-- in the heap.
DROP INDEX leads_unclaimed_idx;
CREATE INDEX leads_unclaimed_idx ON leads (qualified_at) WHERE claimed_at IS NULL AND stage = 'qualified';

-- /team's time to claim reads alerted_at from the heap of the period's
-- claimed leads.
DROP INDEX leads_claimed_at_idx;
CREATE INDEX leads_claimed_at_idx ON leads (claimed_at) INCLUDE (manager_id, qualified_at)
    WHERE claimed_at IS NOT NULL;
