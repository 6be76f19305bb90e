-- Bounds of the publication dates and the size of the warehouse, read from the articles
-- themselves: used when the rollups are out of step with the table (rows written by hand).
SELECT min(published) AS first_day, max(published) AS last_day,
       count(*) FILTER (WHERE published IS NOT NULL AND duplicate_of IS NULL) AS articles,
       count(*) AS rows_total
FROM articles;
