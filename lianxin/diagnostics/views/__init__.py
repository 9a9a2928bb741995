"""Pages of the shared diagnostic centres, one module per resource."""
