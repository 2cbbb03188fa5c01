-- Error events for dead-lettered casts have no task: they name the instance
-- and image in their payload only.
ALTER TABLE outbox_event ALTER COLUMN task_id DROP NOT NULL;
