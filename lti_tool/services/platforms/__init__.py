"""Installing Rapport in a platform (LTI 1.3 registrations and their deployments): one
registration per (issuer, client_id) with its deployments, saved by the same rules from the CLI,
the LTI_CONFIG import, the demo LMS and LTI Dynamic Registration 1.0. `service` holds those
rules, `installation` turns a dynamic registration into a registration."""
