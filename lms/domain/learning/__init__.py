"""What an officer learns and earns: weekly lessons, the courseware catalogue, completion,
points and the learning profile (学习档案); no Flask.

Entry points: `lessons` (an officer's weekly lessons), `catalog`, `completion` (the one writer
of completion rows), `points` (the ledger), `profile`."""
