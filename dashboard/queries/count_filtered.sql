WITH /*filtered*/
SELECT count(*) AS articles FROM filtered;
