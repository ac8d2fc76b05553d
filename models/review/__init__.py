"""The annual review (plan section 4.2) in one place: `rules.py` (its tables and the rules about
them), `inputs.py` (what an agency may send, checked field by field) and `operations.py` (the review
in the database)."""
