SELECT DISTINCT language
FROM articles
WHERE language IS NOT NULL AND published IS NOT NULL AND duplicate_of IS NULL
ORDER BY language;
