"""Secretaries register their groups' delegates; the committee reviews them."""
