"""Services that read and write files: GPX, photos, open-format exports."""
