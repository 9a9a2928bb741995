"""Pages of the outreach app, one module per resource."""
