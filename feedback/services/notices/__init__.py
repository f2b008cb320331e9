"""Notices: the deadline watch, the notice queue and its recipients, and delivery over channels.

Commands change state and flush; read models query and project. The caller commits once."""
