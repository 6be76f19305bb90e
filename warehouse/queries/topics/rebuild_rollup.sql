-- rollup_daily_topics again from topic_matches (after duplicates or stories changed).
DELETE FROM rollup_daily_topics;
INSERT INTO rollup_daily_topics BY NAME
SELECT a.published AS day, a.source_id, a.language, t.topic_id,
       count(*)::BIGINT AS articles,
       count(DISTINCT coalesce(a.story_id, a.article_id))::BIGINT AS stories
FROM topic_matches t
JOIN articles a USING (article_id)
WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
ORDER BY day;
