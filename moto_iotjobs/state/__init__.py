"""State that survives a failed call unchanged: the undo journal every write goes through."""
