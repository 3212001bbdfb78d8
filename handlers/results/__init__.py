"""Uses of the results: the annual roll-up, promotion/training/honours lists, talk reminders, documents and spreadsheets."""
