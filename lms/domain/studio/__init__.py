"""The studio's write side: courseware and quizzes authored in the browser with revisions
and review, and the weekly lessons; no Flask.

Entry points: `authoring` (edit and export courseware), `questions` (the question editor's
rules), `yamlzh` (the quiz YAML's problems in Chinese), `review` (courseware's review
workflow), `lessonwork` and `lessonreview` (composing weekly lessons and their review),
`scheduling` (the lessons' list, schedule and export)."""
