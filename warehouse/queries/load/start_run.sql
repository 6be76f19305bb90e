-- A run's row, at its start.
INSERT INTO runs (run_id, flow, prefect_flow_run_id, started_at, status)
VALUES (?, ?, ?, ?, 'running')
