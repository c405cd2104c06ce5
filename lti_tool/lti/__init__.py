"""The LTI 1.3 protocol layer: the only package that touches JWTs, claims and pylti1p3."""
