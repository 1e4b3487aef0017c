"""The quiz engine: the quiz as an officer sees it, attempts recorded once and graded, the
mistake notebook and per-question statistics; no Flask.

Entry points: `quizview` (open a quiz, its public questions), `attempts` (submit; its
outcome: completion, points, mistakes), `review` (a result, and when the key is shown),
`mistakes` (the notebook), `quizstats` (the authors' statistics), `grading` (pure scoring)."""
