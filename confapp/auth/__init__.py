"""Login, invitations and the role check every page uses."""
