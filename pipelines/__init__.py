"""How documents become chunks, vectors and cited answers (Haystack pipelines and components)."""
