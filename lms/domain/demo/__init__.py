"""Demo data at any scale: a city bureau's org tree and roster, and a year of history; no Flask.

Entry point: `bureau.build` (`flask lms demo`)."""
