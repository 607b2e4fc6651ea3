"""The owner's whole account as one zip, built by the worker (issue 17)."""
