-- As at load time: an article with a signature starts as its own story (an exact copy
-- joins its original's only through the signatures, within the window); one without keeps
-- what migration 003 gave it.
UPDATE articles SET story_id = CASE
    WHEN article_id IN (SELECT article_id FROM article_signatures) THEN article_id
    ELSE coalesce(duplicate_of, article_id) END
