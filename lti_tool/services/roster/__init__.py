"""The course roster (LTI Names and Role Provisioning Services 2.0): every member of a course,
kept in step with the platform so staff see every student, not only those who launched.
`service` syncs the roster page by page under a lease, `rows` holds the bulk statements a page
is written with, `people` reads the staff "People" page."""
