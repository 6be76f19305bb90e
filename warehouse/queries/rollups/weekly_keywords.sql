-- rollup_weekly_keywords: per entity, ISO week of publication (its Monday), language and
-- keyword, the dated non-duplicate articles naming the entity (headline or text) whose
-- keywords include the term, and the term's count in them; from article $first on. The
-- entity comes first: a rebuild writes the rows in that order, so a reader asking for one
-- entity skips the others' row groups by zone map. The predicates on article_id (one per
-- joined table) prune all three scans to the batch.
SELECT m.entity_id, date_trunc('week', a.published)::DATE AS week, a.language, k.term,
       count(*)::BIGINT AS articles, sum(k.count)::BIGINT AS count
FROM articles a
JOIN mentions m ON m.article_id = a.article_id
JOIN keywords k ON k.article_id = a.article_id
WHERE a.article_id >= $first AND m.article_id >= $first AND k.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
