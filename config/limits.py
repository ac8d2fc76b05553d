"""How big the files people send may be, and the values in them: far above anything a real plan,
agency directory or review is, far below what would tie up the machine. Each limit is named in the
error that refuses it (README, "Security and bad input")."""
from datetime import date

# A plan, agency directory, review submission (JSON/YAML) or plan text: at most this many bytes.
# (The Bắc Kạn plan is 32 KB; the national benchmark's biggest plan, 1,728 entries, about 1.2 MB.)
MAX_INPUT_FILE_BYTES = 5_000_000
# Nesting of lists and mappings in a YAML or JSON file (a plan file needs 4).
MAX_NESTING = 20
# A review workbook (.xlsx): its size, what its parts say they unpack to (each, and all together),
# how many parts, and the rows and columns of a sheet read (an agency reports on at most a few
# hundred tasks; the template has 10 columns).
MAX_XLSX_BYTES = 10_000_000
MAX_XLSX_PART_BYTES = 50_000_000
MAX_XLSX_UNPACKED_BYTES = 100_000_000
MAX_XLSX_PARTS = 1_000
MAX_XLSX_ROWS = 10_000
MAX_XLSX_COLUMNS = 100
# Values in the plan and agency files.
MAX_NAME = 300  # names, aliases, a province, a focal point's name
MAX_TITLE = 1_000  # a plan's or task's title
MAX_TEXT = 20_000  # a duty's verbatim text, notes, a plan's source, a deadline phrase
MAX_TASKS = 5_000  # entries in one plan file (the national benchmark's: 1,728)
MAX_AGENCIES = 5_000  # agencies or groups in a directory
MAX_LIST = 1_000  # focal points of an agency, members of a group, aliases, coordinators, overrides
# A file with many problems lists this many, then how many more there are.
MAX_ERRORS_SHOWN = 20
# Dates given on the command line (--today, --on, ...) and in DONDOC_TODAY.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
# `dondoc outbox --limit`: at most this many rows.
MAX_LIST_ROWS = 100_000
