"""Email notifications (issue 16): people hear of what is written to them where they read mail.

`outbox` turns what happened (a message, a reply, a check-in opening, the day's digest) into
rows of the outbox, one per recipient and event; `sender` mails what is due, several rows for
one person and course as one mail; `compose` writes that mail; `mailer` speaks SMTP;
`preferences` holds each person's choice per course and the signed one-click unsubscribe.
Nothing is sent from a request: the job runner does it (lti_tool/tasks.py).
"""
