"""The one exception type the lab raises, so callers can tell a lab failure from a test failure."""


class LabError(RuntimeError):
    """The lab could not be built, or one of its services misbehaved."""
