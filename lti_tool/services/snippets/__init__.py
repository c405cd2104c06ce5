"""Snippets and bulk starts (PRODUCT.md, "Named feedback threads": personal at scale): a course's
library of reusable words with merge fields such as `{first_name}`, and starting one personal
feedback thread with each of many students from them. `service` is the library and the merge
fields, `bulk_start` checks and records a bulk start, `bulk_run` writes its threads in the
background."""
