"""The registration and monitoring portal: a Django app where each job centre registers its citizens following the
programme's registration guide and sees its monthly status; evaluators see all units and export the events table.

    virkning portal --demo                # SQLite in ./virkning-portal, synthetic units, users and registrations
    virkning portal --database postgresql://user:pw@host/db --host 0.0.0.0 --port 8000

Everything the portal needs from the rest of virkning (the design file, the registration guide's rules, the monthly
status with its disclosure rules, the HTML report) goes through `virkning.portal.bridge`. Unit isolation lives in
the data layer (`virkning.portal.scoping`) and, on PostgreSQL, in row-level security as well. docs/portal.md
describes deployment, roles, the audit log and the authentication plug-in.
"""
