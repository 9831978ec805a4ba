"""Calls: ``/call``, rings, following a call to its end, Call again, history."""
