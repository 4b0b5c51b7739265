"""The credentials committee's area: conferences and their rules, groups, people with roles,
the audit log, the review of registrations, the delegates CSV, the credentials report.

    views.py          the pages (blueprint `bp`, registered under /admin), but the review's
    review.py         the review's pages: the queue, decisions, seating alternates
    forms.py          the area's forms, and how a rule reads from its form and back
    services.py       conferences, groups (list, import), people with roles, the audit log
    group_import.py   how a groups file is written: in bulk, with its secretaries
    registrations.py  the review queue and the delegate list as read; the delegates import
    report.py         the credentials report: what each figure means, the query, the CSV
    group_csv.py      the groups file read and checked, row by row
    delegate_csv.py   the delegates file read and checked, and the export written

The registering itself (rules, seats, one place per person, approvals) is registration's:
confapp/registration/.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from confapp.admin import samples  # noqa: E402, F401  (its routes are on bp)
