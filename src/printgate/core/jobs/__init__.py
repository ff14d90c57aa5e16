"""Jobs: creation from API requests, the lifecycle state machine, and status fan-out."""
