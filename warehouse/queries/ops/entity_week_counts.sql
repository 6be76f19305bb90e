-- Per week (its Monday, in column day), entity and outlet: dated, non-duplicate articles
-- naming the entity, summed in SQL so pandas gets weeks x entities x outlets rows.
SELECT date_trunc('week', day)::DATE AS day, entity_id, source_id,
       sum(articles)::BIGINT AS articles
FROM daily_mentions
GROUP BY ALL
