"""Points beyond quizzes (党建积分申报): rules for activities the platform cannot observe,
officers' requests with an image as evidence, the secretary's decision, and caps that hold
under concurrency; approved points go into the one ledger (`learning.points`); no Flask.

Entry points: `rules` (the rules as data, seeded and admin-edited), `claims` (request,
approve, return, correct, list), `evidence` (checking and storing the image)."""
