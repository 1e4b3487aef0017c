"""Question banks: the Excel import (`xlsximport`), its template (`template`) and applying
checked questions to a bank (`banks`); drawing is the quiz engine's (`quiz.draws`)."""
