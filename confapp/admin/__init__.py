"""The credentials committee's pages: conferences, rules, groups, users, audit log."""
