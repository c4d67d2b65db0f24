"""Figures of any network, as functions of arrays returning matplotlib Figures, and saving them (`io`)."""
