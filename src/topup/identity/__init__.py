"""Identification online: the identity-provider port, its simulator, and recording the result."""
