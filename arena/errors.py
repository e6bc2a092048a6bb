"""The error types at the arena package boundary."""


class ArenaError(Exception):
    """Something the arena was asked to do cannot be done (bad config, run dir, or input)."""


class SandboxError(ArenaError):
    """The sandbox itself cannot run (workers fail to start or keep dying)."""
