"""`python -m dondoc.cli`: the `dondoc` command."""
from dondoc.cli import main

main()
