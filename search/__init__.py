"""Full-text search over the owner's text records (issue 17)."""
