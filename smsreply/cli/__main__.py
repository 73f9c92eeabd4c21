"""``python -m smsreply.cli``: the same as the ``smsreply`` command."""

from . import main

main()
