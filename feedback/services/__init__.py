"""Use cases, one function each. Services flush; the caller commits once."""
