"""HTTP layer: thin views declaring input and output schemas."""
