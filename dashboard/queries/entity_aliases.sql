SELECT entity_id, alias, case_rule, match_rule
FROM entity_aliases
WHERE list_contains($entities::VARCHAR[], entity_id);
