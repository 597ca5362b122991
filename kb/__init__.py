"""FAQ knowledge base: entries, dense and BM25 search, the answer-or-hand-off decision."""
