"""The quarter's steps: cycles, indicators, summaries, scoring, the committee's decision, publicity, and progress."""
