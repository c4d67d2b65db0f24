"""The dynamics of a trained network: its step map, the fixed-point finder, its result and file, linearisation, and where to search."""
