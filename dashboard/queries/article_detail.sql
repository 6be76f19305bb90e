SELECT a.article_id, a.published, a.title, a.author, a.url, a.language, a.word_count,
       a.text, a.duplicate_of, a.source_id, coalesce(s.name, a.source_id) AS outlet,
       s.country
FROM articles a
LEFT JOIN sources s USING (source_id)
WHERE a.article_id = $article_id;
