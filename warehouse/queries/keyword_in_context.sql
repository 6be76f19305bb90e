-- Keyword in context: where $term occurs in the articles naming $entity between $start and
-- $end, newest first, with $width characters either side of its first occurrence
-- (case-insensitive). With $unit = 'story' one article per story (its first).
WITH named AS (
    SELECT DISTINCT a.article_id, a.story_id, a.published, a.source_id, a.title, a.url,
           a.text, strpos(lower(a.text), lower($term)) AS pos
    FROM mentions m JOIN articles a USING (article_id)
    WHERE m.entity_id = $entity
      AND a.duplicate_of IS NULL
      AND a.published BETWEEN $start::DATE AND $end::DATE
),
hits AS (
    SELECT * FROM named WHERE pos > 0
),
picked AS (
    SELECT * FROM hits
    WHERE $unit = 'article'
       OR article_id IN (SELECT min(article_id) FROM hits GROUP BY story_id)
)
SELECT article_id, story_id, published, source_id, title, url,
       substr(text, greatest(1, pos - $width), least(pos - 1, $width)) AS left_context,
       substr(text, pos, length($term)) AS keyword,
       substr(text, pos + length($term), $width) AS right_context
FROM picked
ORDER BY published DESC, article_id DESC
LIMIT $limit;
