SELECT entity_id, name, kind, group_name
FROM entities
ORDER BY entity_id;
