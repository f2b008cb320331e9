"""Triage: the org department's inbox and decisions — tagging corrections, suggestions, assigning, consultations.

Commands change state and flush; read models query and project. The caller commits once."""
