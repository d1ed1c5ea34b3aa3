"""Errors a user can act on: the CLI prints them as one line, never as a traceback."""


class UserError(Exception):
    """A mistake in input or environment that the operator can fix.

    The message is the whole story (file, row or device, and what is wrong); the CLI prints it
    as is and exits with code 2.
    """
