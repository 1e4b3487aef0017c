"""Classrooms (五大课堂): applying, peer acceptance (推磨式验收), sessions and check-in; no Flask.

Entry points: `lifecycle` (apply, schedule, detail), `acceptance` (checklist scores, the
decision, re-application, retirement), `checklists` (items and weights per type), `rotation`
(推磨 turns between counties), `register` (by type and state, for pages and the API),
`checkins` (签到), `lecturers` (profiles and session ratings). docs/CLASSROOMS.md."""
