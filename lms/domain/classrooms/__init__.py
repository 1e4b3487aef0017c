"""Classrooms (五大课堂): applying, peer acceptance (推磨式验收), sessions and check-in; no Flask.

Entry points: `lifecycle` (apply, accept, schedule, detail), `checkins` (签到)."""
