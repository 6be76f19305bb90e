-- run_sources of each outlet's latest $runs_per_source finished ingest runs (and the
-- current run $current_run_id), newest first.
SELECT rs.run_id, r.started_at, rs.source_id, rs.feeds_ok, rs.feeds_failed, rs.error
FROM run_sources rs JOIN runs r USING (run_id)
WHERE r.flow = 'ingest' AND (r.status = 'completed' OR r.run_id = $current_run_id)
QUALIFY row_number() OVER (PARTITION BY rs.source_id ORDER BY r.started_at DESC)
        <= $runs_per_source
ORDER BY rs.source_id, r.started_at DESC
