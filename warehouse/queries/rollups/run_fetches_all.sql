-- rollup_run_fetches over every stored fetch_log row (what a rebuild inserts).
WITH fetch_rows AS (SELECT run_id, source_id, fetched_at, outcome, error FROM fetch_log)
/*rollups/run_fetches*/
