t.source_id = d.source_id AND t.language IS NOT DISTINCT FROM d.language
AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b
