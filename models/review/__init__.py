"""The annual review (plan section 4.2) in one place: `tables.py` (cycles, requests, links,
submissions, indicator values), `rules.py` (its dates, refusals, phases and chasers, as pure
functions of `now`), `inputs.py` (what an agency may send, checked field by field) and
`operations.py` (the review in the database: opening a cycle, the form behind a link, accepting a
submission, who has reported). The documents it produces are in dondoc/documents/."""
