"""The one user-facing exception type; the command line prints it and exits with status 2."""


class BnnforgeError(Exception):
    """Bad input: unknown name, unsupported layer or size, corrupt file, invalid folding."""
