"""Pure views: ``Snapshot``/checks → rows of cells. Shared by the dashboard's widgets and
the text export; no Textual here (cells carry a *tone*, widgets map tones to theme colours)."""
