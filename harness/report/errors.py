"""`ReportError`: a run directory the report cannot be built from."""


class ReportError(Exception):
    """The message is one line naming the fix."""
