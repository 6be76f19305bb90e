-- Per week (its Monday, in column day), active saved topic and outlet: matching articles
-- (dated, not exact duplicates), the topic spike alerts' input.
SELECT date_trunc('week', r.day)::DATE AS day, r.topic_id, r.source_id,
       sum(r.articles)::BIGINT AS articles
FROM rollup_daily_topics r JOIN topics t USING (topic_id)
WHERE t.active
GROUP BY ALL
ORDER BY ALL
