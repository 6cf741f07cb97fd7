"""Input workbooks built from public data: the official revenue outturn, and the shipped examples."""
