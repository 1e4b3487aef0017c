"""Reminders and the in-app inbox: escalating reminders for the weekly lessons, supervisors'
digests, notifications stored once per user and key, and the outbox that delivers them to
the messaging platform; no Flask.

Entry points: `escalation.plan_and_store` / `plan_and_send` (one run of `flask lms
send-reminders`), `outbox.deliver` (`flask lms deliver`), `inbox`."""
