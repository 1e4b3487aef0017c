"""Reminders and the in-app inbox: escalating reminders for the weekly lessons, supervisors'
digests, notifications stored once per user and key; no Flask.

Entry points: `escalation.plan_and_send` (one run of `flask lms send-reminders`), `inbox`."""
