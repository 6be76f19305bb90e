-- Per day, active topic and outlet: matching articles (the spike alerts' input).
SELECT r.day, r.topic_id, r.source_id, sum(r.articles)::BIGINT AS articles
FROM rollup_daily_topics r JOIN topics t USING (topic_id)
WHERE t.active
GROUP BY ALL
ORDER BY ALL
