-- Fold a batch's fetch_log rows (registered as fetch_rows) into rollup_run_fetches.
MERGE INTO rollup_run_fetches t
USING (/*rollups/run_fetches*/) d
ON t.run_id = d.run_id AND t.source_id = d.source_id
WHEN MATCHED THEN UPDATE SET
    tried = t.tried + d.tried,
    failed = t.failed + d.failed,
    last_error = CASE WHEN d.last_error_at IS NOT NULL
                       AND (t.last_error_at IS NULL OR d.last_error_at >= t.last_error_at)
                      THEN d.last_error ELSE t.last_error END,
    last_error_at = greatest(t.last_error_at, d.last_error_at),
    last_success = greatest(t.last_success, d.last_success)
WHEN NOT MATCHED THEN INSERT BY NAME
