-- Articles a text query matches in the window ($ids, from the full-text index) whose
-- keywords include $term, newest first, for keyword-in-context lines.
WITH ids AS (SELECT unnest($ids::BIGINT[]) AS article_id)
SELECT a.article_id, a.published, coalesce(s.name, a.source_id) AS outlet, a.title, a.url,
       a.text, a.language
FROM ids
JOIN keywords k ON k.article_id = ids.article_id AND k.term = $term
JOIN articles a ON a.article_id = ids.article_id
LEFT JOIN sources s ON s.source_id = a.source_id
ORDER BY a.published DESC, a.article_id DESC
LIMIT $limit;
