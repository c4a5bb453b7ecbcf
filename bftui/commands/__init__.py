"""One module per ``bftui`` sub-command; see bftui/cli.py for the contract."""
