"""Running the site: backups and their restore, and whether the site is ready to serve."""
