"""What is (re)indexed: sources, the manifest, and the runner that drives them through pipelines.indexing."""
