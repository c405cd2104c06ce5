"""Grades for the LMS gradebook (LTI Assignment and Grade Services 2.0): features record scores,
a durable queue in the database keeps them, and a worker delivers them in order to the
platform's line items, with retries and backoff, never losing or duplicating one. `service` is
what features call and what staff see, `queue` the delivery rows, `worker` the sender."""
