"""Administration: staff accounts and their brakes, seed data, retention, search index, the tagger.

Commands change state and flush; read models query and project. The caller commits once."""
