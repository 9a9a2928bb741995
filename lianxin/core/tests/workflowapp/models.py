"""A concrete workflow model used only by the workflow tests (installed by settings_test)."""
