"""Search engines behind one interface (base.py); `open_engine` picks one from the settings."""
