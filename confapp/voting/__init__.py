"""Voting: card-vote shares, teller entries and exact tallies."""
