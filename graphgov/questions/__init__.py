"""Questions: the saved Cypher catalogue, its embedded twins, controls and classification."""
