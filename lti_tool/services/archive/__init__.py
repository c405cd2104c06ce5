"""Archive and retention (issue 18): a course's end and the grace after it, the read-only
course students meet then, the whole course as one download, and deletion by the
institution's retention policy (RETENTION_DAYS)."""
