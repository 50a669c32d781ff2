"""Where documents come from: folders (and, later, OParl servers)."""
