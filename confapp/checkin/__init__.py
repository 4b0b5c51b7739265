"""The door: stewards scan badges, presence and quorum are live."""
