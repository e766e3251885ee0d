"""The resident journey: the pure state machine, the controller that runs its effects, lanes."""
