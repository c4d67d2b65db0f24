"""The package's one exception type: bad input that the CLI reports in one line."""


class FlipFlopError(ValueError):
    """Invalid input or file; its message is a complete one-line explanation."""
