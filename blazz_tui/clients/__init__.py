"""Protocol clients shared by the sources and the actions."""
