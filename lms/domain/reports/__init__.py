"""Supervision: completion rolled up the org tree, the not-yet-done lists, the quarterly
inspection and 通报, leaderboards and exports; set-based SQL, no Flask.

Entry points: `rollup` (completion per unit and officer, the weekly trend), `inspection`
(the 通报), `downloads` (a table as an audited CSV or XLSX file), `exports` (CSV and XLSX
writing), `leaderboard`, `periods` (report periods), `outstanding` (lessons still owed),
`assignments` (who was assigned what), `unitstats` (the summary table)."""
