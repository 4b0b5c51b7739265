"""Credentials: badge codes, their issue and revocation, badges and cards to print."""
