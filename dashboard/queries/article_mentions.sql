SELECT m.entity_id, e.name, m.body_count, m.title_count, m.in_title, m.first_offset
FROM mentions m
LEFT JOIN entities e USING (entity_id)
WHERE m.article_id = $article_id
ORDER BY m.body_count + m.title_count DESC, m.entity_id;
