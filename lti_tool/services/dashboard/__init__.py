"""The relationship dashboard (PRODUCT.md, "Relationship dashboard"): for staff, every active
student with their tutor, last personal contact, check-in trend, requests to talk and unread
words; the share of students within the course's contact goal, overall and per tutor; whom to
contact next. `service` builds the page from `student_facts`, `contact` defines personal contact
once, `flags` lets staff flag a student, `export` writes the CSV, `settings` registers the
contact goal."""
