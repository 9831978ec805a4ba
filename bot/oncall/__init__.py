"""On call: teams, rotations, covers, hand-overs, paging, invites."""
