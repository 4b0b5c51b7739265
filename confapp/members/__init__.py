"""The members: the register, membership checks, and members' ballots (one member, one vote)."""
