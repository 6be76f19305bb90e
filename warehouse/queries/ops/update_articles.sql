-- The changed articles (ids registered as ch) take their re-extracted fields from upd;
-- ids, URLs, fetch time and publication date stay.
UPDATE articles SET title = u.title, author = u.author, language = u.language,
       sitename = u.sitename, text = u.text, word_count = u.word_count,
       content_hash = u.content_hash, language_source = u.language_source,
       declared_language = u.declared_language, detected_language = u.detected_language,
       language_confidence = u.language_confidence
FROM upd u
WHERE articles.article_id = u.article_id
  AND articles.article_id IN (SELECT article_id FROM ch)
