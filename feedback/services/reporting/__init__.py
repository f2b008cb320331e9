"""Reporting: monthly facts and summaries, their exports, the observation-point ledger, supervision.

Commands change state and flush; read models query and project. The caller commits once."""
