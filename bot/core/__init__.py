"""Plain values and helpers every feature shares; imports nothing else from ``bot``."""
