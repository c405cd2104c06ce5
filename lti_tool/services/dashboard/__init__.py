"""The relationship dashboard (PRODUCT.md, "Relationship dashboard"): for staff, every active
student with their tutor, last personal contact, check-in trend, requests to talk and unread
words; the share of students within the course's contact goal, overall and per tutor; whom to
contact next. `contact` defines personal contact once; `summary` keeps each student's facts in
`StudentSummary`, and `tracking` has every write refresh the students it concerns; `service`
and `rows` build the page from the summaries, `export` streams the CSV, `flags` lets staff flag
a student, `settings` registers the contact goal."""

from lti_tool.services.dashboard import tracking as tracking  # every session keeps summaries
