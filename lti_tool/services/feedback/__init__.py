"""Named feedback threads (PRODUCT.md, "Named feedback threads"): a private conversation between
one student and the course's staff, every message signed by its writer, optionally attached to
a feedback activity placed by Deep Linking and graded back to the LMS gradebook (AGS). `service`
holds the rules and writes messages, `editing` edits one sent, `pages` reads threads, `settings`
registers who may read them."""
