-- The pipeline's alerts (migration 002) whose period overlaps the date window, newest
-- first, with the entity's and outlet's names; $kinds empty means every kind. A spike of a
-- saved topic (topics.yaml) has no entity: its topic is in the details.
SELECT a.alert_key, a.kind, a.entity_id, e.name AS entity, a.source_id, s.name AS outlet,
       CASE WHEN json_valid(a.details) THEN json_extract_string(a.details, '$.topic_id')
       END AS topic_id,
       a.period_start, a.period_end, a.observed, a.expected, a.articles, a.outlets,
       a.message, a.raised_at, a.last_seen_at
FROM alerts a
LEFT JOIN entities e USING (entity_id)
LEFT JOIN sources s USING (source_id)
WHERE (len($kinds::VARCHAR[]) = 0 OR list_contains($kinds::VARCHAR[], a.kind))
  AND coalesce(a.period_end, a.period_start, DATE '9999-12-31')
      >= coalesce($start::DATE, DATE '0001-01-01')
  AND coalesce(a.period_start, a.period_end, DATE '0001-01-01')
      <= coalesce($end::DATE, DATE '9999-12-31')
ORDER BY a.period_start DESC NULLS LAST, a.kind, a.alert_key;
