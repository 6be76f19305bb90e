-- Story, day and signature of the probed articles (the candidate pairs' ends).
SELECT a.article_id, a.story_id, a.published, s.signature
FROM articles a JOIN article_signatures s USING (article_id)
WHERE a.article_id IN (SELECT article_id FROM probe)
