WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             sentence_articles = t.sentence_articles + d.sentence_articles,
                             sentences = t.sentences + d.sentences
WHEN NOT MATCHED THEN INSERT BY NAME
