"""Topup: prepaid mobile top-up platform for Belgian operators and MVNOs."""
