"""Referral, consultation and slot pages. Views parse input and call actions; every row comes
through ``visible_to`` / ``get_for_user``."""
