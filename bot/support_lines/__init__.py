"""Support lines: a newcomer connected to whichever member is free."""
