"""sprintopt's front ends: the command line and the Textual app; they read through the engine."""
