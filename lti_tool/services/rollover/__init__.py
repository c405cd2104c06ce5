"""Term after term (issue 18): a course copied for a new term brings over its predecessor's
set-up, never its students' data."""
