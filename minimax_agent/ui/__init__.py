"""Everything that prints or reads the keyboard lives here."""
