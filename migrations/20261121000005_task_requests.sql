-- A `POST /tasks/schedule` request gets an id (epoch millis, rising per table) that names
-- its task, `Task_<type>_<table>_<id>`. It waits on the task row (`request_id`) until a
-- run starts and takes it onto the run, so the name is found before, during and after
-- the run, across restarts. `last_request_id` keeps ids rising within one millisecond.
ALTER TABLE sync_tasks ADD COLUMN request_id BIGINT, ADD COLUMN last_request_id BIGINT;
ALTER TABLE sync_runs ADD COLUMN request_id BIGINT;
