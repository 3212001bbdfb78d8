"""The scheduler process: a short list of jobs (``jobs.py``), one leader at a time (``leader.py``)."""
