"""The studio's write side: courseware and quizzes authored in the browser with revisions
and review, and the weekly lessons' schedule; no Flask.

Entry points: `authoring` (edit and export courseware), `review` (the review workflow),
`scheduling` (the weekly lessons)."""
