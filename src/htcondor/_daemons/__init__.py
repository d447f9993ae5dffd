"""The daemons of the pool: each module is one daemon, run as ``python -m htcondor._daemons.<name>``."""
