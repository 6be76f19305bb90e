-- rollup_run_fetches: fetch_rows (run_id, source_id, fetched_at, outcome, error: a batch's
-- fetch_log rows, or all of them) summarised per run and outlet.
SELECT run_id, source_id, count(*) AS tried,
       count(*) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate')) AS failed,
       arg_max(error, fetched_at) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate'))
           AS last_error,
       max(fetched_at) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate')) AS last_error_at,
       max(fetched_at) FILTER (WHERE outcome IN ('loaded', 'duplicate')) AS last_success
FROM fetch_rows
GROUP BY ALL
