"""Personal tutors (PRODUCT.md, "Named feedback threads": each student can have a named personal
tutor among the staff): who tutors whom, allocating by hand or balancing loads across chosen
staff (optionally keeping an LMS section with its staff), and each student's tutors over time.
`service` holds the rule and the shared writers, `balance` spreads students, `pages` lists them
for staff."""
