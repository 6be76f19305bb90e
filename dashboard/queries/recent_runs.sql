SELECT run_id, flow, status, started_at, finished_at, seconds, discovered, new, fetched,
       failed, loaded, message
FROM runs
ORDER BY started_at DESC
LIMIT $runs;
