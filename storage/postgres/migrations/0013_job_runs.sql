-- 0013: the mark of a job run in progress (queue.go, startRun). It was a
-- key in river_job.metadata, and writing it rewrote the job's row: River
-- indexes args and metadata with GIN, so every run cost a non-HOT update
-- and seven index entries. Here a run is one narrow row: inserted when the
-- run starts, deleted when it fails, pruned once River has recorded the
-- job completed (Queue.PruneRuns). A row already there when a run starts
-- means the previous run was cut short (crm.Job.Interrupted).
--
-- No foreign key to river_job: River's tables are migrated after ours (a
-- fresh database has none yet), and the check would lock the job's row on
-- every run.
CREATE TABLE job_runs (
    job_id     bigint      PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now()
);
