"""Figure builders: pure functions DataFrame -> plotly Figure, one module per page area."""
