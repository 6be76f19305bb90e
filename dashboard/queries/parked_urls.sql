-- Parked URLs (migration 008): article URLs that failed with a temporary outcome in
-- several runs in a row and that no run fetches before parked_until. The outlet and
-- country filters apply; dates do not (parking is about now). $now is the reader's clock
-- (UTC): a row whose parked_until has passed is due for a retry by the next run.
SELECT s.name AS outlet, p.source_id, p.url, p.failed_runs, p.last_outcome, p.last_error,
       p.last_failed_at, p.parked_until,
       p.parked_until > $now AS parked,
       count(*) OVER () AS total
FROM url_parking p
LEFT JOIN sources s USING (source_id)
WHERE p.parked_until IS NOT NULL
  AND (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], p.source_id))
  AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], s.country))
ORDER BY s.name, p.parked_until DESC, p.url
LIMIT $limit;
