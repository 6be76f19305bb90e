-- Keyword in context, the candidates: the articles naming $entity between $start and $end
-- whose keywords include $term (the keywords table holds each article's terms as base
-- forms), newest first, with their text and language. With $unit = 'story' one article
-- per story (its first). warehouse/analysis.py finds the term's occurrences in the text
-- with blocwatch.analysis, which SQL cannot: "конференция" is in the text as
-- "конференции", 관계자 as "관계자들은".
WITH named AS (
    SELECT a.article_id, a.story_id, a.published, a.source_id, a.title, a.url, a.text,
           a.language
    FROM articles a
    WHERE a.duplicate_of IS NULL
      AND a.published BETWEEN $start::DATE AND $end::DATE
      AND a.article_id IN (SELECT article_id FROM mentions WHERE entity_id = $entity)
      AND a.article_id IN (SELECT article_id FROM keywords WHERE term = $term)
),
picked AS (
    SELECT * FROM named
    WHERE $unit = 'article'
       OR article_id IN (SELECT min(article_id) FROM named GROUP BY story_id)
)
SELECT article_id, story_id, published, source_id, title, url, text, language
FROM picked
ORDER BY published DESC, article_id DESC;
