-- Bounds of the publication dates and the size of the warehouse, for the sidebar.
SELECT min(published) AS first_day, max(published) AS last_day,
       count(*) FILTER (WHERE published IS NOT NULL AND duplicate_of IS NULL) AS articles,
       count(*) AS rows_total
FROM articles;
