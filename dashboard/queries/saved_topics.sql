-- The saved topics (topics.yaml) this snapshot counts, by group then label.
SELECT topic_id, label, query, group_name
FROM topics
WHERE active
ORDER BY group_name NULLS LAST, label;
