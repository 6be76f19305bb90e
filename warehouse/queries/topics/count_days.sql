-- rollup_daily_topics rows of topic $topic on the days in touched_days, from its matches:
-- dated, non-duplicate articles, and the distinct stories among them.
INSERT INTO rollup_daily_topics BY NAME
SELECT a.published AS day, a.source_id, a.language, $topic AS topic_id,
       count(*)::BIGINT AS articles,
       count(DISTINCT coalesce(a.story_id, a.article_id))::BIGINT AS stories
FROM topic_matches t
JOIN articles a USING (article_id)
WHERE t.topic_id = $topic
  AND a.published IN (SELECT day FROM touched_days)
  AND a.duplicate_of IS NULL
GROUP BY ALL
ORDER BY day
