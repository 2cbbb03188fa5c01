-- The node that accepted the task. Several agents may share one database; each
-- recovers only its own tasks after a restart. Rows from before this column
-- have no host and are recovered by whichever agent starts first.
ALTER TABLE snapshot_task ADD COLUMN host varchar(255);
CREATE INDEX snapshot_task_host_in_flight ON snapshot_task (host, created_at) WHERE outcome IS NULL;
