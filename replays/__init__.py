"""Event log, checkpoints and resume, replay, and the lineage graph (run-dir format 1).

A run dir holds ``run.json`` (format, config, package versions), ``events.jsonl`` (the
source of truth; schema in ``replays.schema``, ``arena replay --schema``), ``checkpoint.json``
(the state after the last finished round, written atomically), ``solutions/<hash>.py`` and
``proposers/<hash>.py``, and when the run finishes ``suite.json``, ``champion.py``,
``lineage.json`` (networkx node-link data) and ``summary.json``. Replays and the lineage are
rebuilt from the events alone; ``tests/golden/v1`` pins the format.
"""
