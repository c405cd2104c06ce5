"""The course newsfeed (PRODUCT.md, "Teacher introductions and the course newsfeed"): staff
introductions and course news, students' replies, reactions and their own introductions, and
who has seen what. `rules` says who may do what, `service` writes posts, `feed` and `pages` read
them, `replies` writes the conversation under them, `settings` registers the course's options.
Placed in a course by Deep Linking as the course home."""
