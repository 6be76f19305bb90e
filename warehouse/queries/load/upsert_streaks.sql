-- A batch's failure streaks (registered as streaks) into url_parking.
INSERT INTO url_parking (url, source_id, failed_runs, first_failed_at, last_failed_at,
                         last_run_id, last_outcome, last_error, parked_until, updated_at)
SELECT url, source_id, failed_runs, last_failed_at, last_failed_at, last_run_id,
       last_outcome, last_error, parked_until, last_failed_at
FROM streaks
ON CONFLICT (url) DO UPDATE SET
    source_id = excluded.source_id, failed_runs = excluded.failed_runs,
    last_failed_at = excluded.last_failed_at, last_run_id = excluded.last_run_id,
    last_outcome = excluded.last_outcome, last_error = excluded.last_error,
    parked_until = excluded.parked_until, updated_at = excluded.updated_at
