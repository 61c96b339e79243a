"""Dynamic thing groups: groups whose members are the things a fleet-indexing query matches."""
