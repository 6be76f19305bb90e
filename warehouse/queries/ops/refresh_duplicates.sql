-- Set every article's duplicate_of to what ops/duplicate_targets.sql says.
UPDATE articles SET duplicate_of = t.dup
FROM (/*ops/duplicate_targets*/) t
WHERE articles.article_id = t.article_id AND articles.duplicate_of IS DISTINCT FROM t.dup
