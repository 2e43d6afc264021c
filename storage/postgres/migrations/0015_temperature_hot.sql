-- 0015: a lead's temperature changing mid-dialogue (cold to warm to hot as
-- the answers score) is a heap-only update, like the answer's score and
-- step (0005). Until now two indexes named temperature, so each such
-- change wrote an entry into every index of the lead; the bench's
-- counters (voronka bench --side-by-side, "PostgreSQL's work per update")
-- show the difference.

-- Read by no query (EXPLAIN on 200,000 leads; docs/benchmarks.md): the
-- warm lists and the reports' hot count read leads_qualified_at_idx, a
-- segment on temperature walks the latest leads in contact order.
DROP INDEX leads_temperature_created_at_idx;

-- The warm lists, the claim sweep and the reports' hot count read the
-- period's qualified leads through this index and take the temperature
-- from the heap: a few rows a digest, a period's qualified leads a report.
DROP INDEX leads_qualified_at_idx;
CREATE INDEX leads_qualified_at_idx ON leads (qualified_at) INCLUDE (manager_id)
    WHERE qualified_at IS NOT NULL;
