"""Handling: a department's assignments, their deadlines on the working-day calendar, actors and events.

Commands change state and flush; read models query and project. The caller commits once."""
