"""Report figures and their renderers."""
