"""Auskunft's own Haystack components, one per module."""

# What the dense and the keyword vector of a chunk are made of besides its text: the document's title, its
# municipality and the heading path. The town matters: six towns have near-identical dog-tax statutes whose
# "§ 5 Steuersatz" chunks do not name the town, and a question that names one must find that town's
# (measured with benchmarks/quality.py: README *Evaluation*). Changing this list changes every chunk's
# vectors: raise pipelines/indexing.py INDEXING_VERSION with it.
CHUNK_CONTEXT_FIELDS = ("title", "municipality", "heading")
