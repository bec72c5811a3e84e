"""The one exception type the command line turns into a clean message and exit status 2."""


class BnnforgeError(Exception):
    """A user-facing error: bad input, unknown name, unsupported layer, corrupt file."""
