"""Quiz pages: submitting a form, the result of an attempt, courseware quizzes."""
