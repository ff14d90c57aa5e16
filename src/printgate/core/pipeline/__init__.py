"""The pipeline: a task's steps run in order, each threading the current file to the next."""
