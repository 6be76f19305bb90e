-- The end of a per-article SELECT over cells (selected columns before it): how many of
-- each set's members the article names, the set's size, and their mentions in it.
count(*) AS named, any_value(mb.size) AS size,
sum(m.body_count + m.title_count) AS mentions
FROM cells
JOIN mentions m USING (article_id)
JOIN members mb USING (entity_id)
GROUP BY ALL
