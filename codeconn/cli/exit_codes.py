"""Exit codes of the `codeconn` command, by name."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a test case failed, a lint error was found, a simulated request was denied (--fail-on-deny)
    BAD_INPUT = 2  # a file cannot be read or is malformed; a bad option
