"""Course files (docs/CONTENT.md): read a course folder into plain specs, validate it whole,
write specs back as files, and sync them into the database; no Flask.

Entry points: `reader.load_course_tree` (read and validate), `writer` (specs back to file
text), `syncplan.plan_sync` and `syncplan.apply_sync` (the two steps of
`flask lms sync-courses`), `markup` (the one Markdown renderer and HTML sanitizer),
`punctuation` (the half-width warning of sync) and `readtime` (reading time from the text)."""
