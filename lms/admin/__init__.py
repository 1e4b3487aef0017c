"""Administration: org tree, users, roles, audit log."""
