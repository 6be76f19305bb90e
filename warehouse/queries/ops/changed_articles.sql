-- Re-extracted articles (registered as upd) whose text or language fields differ from the
-- stored ones.
SELECT a.article_id FROM articles a JOIN upd u USING (article_id)
WHERE a.title IS DISTINCT FROM u.title OR a.author IS DISTINCT FROM u.author
   OR a.language IS DISTINCT FROM u.language OR a.sitename IS DISTINCT FROM u.sitename
   OR a.text IS DISTINCT FROM u.text OR a.word_count IS DISTINCT FROM u.word_count
   OR a.content_hash IS DISTINCT FROM u.content_hash
   OR a.language_source IS DISTINCT FROM u.language_source
   OR a.declared_language IS DISTINCT FROM u.declared_language
   OR a.detected_language IS DISTINCT FROM u.detected_language
   OR a.language_confidence IS DISTINCT FROM u.language_confidence
