"""The identity provider simulator: an OpenID-Connect-style eID / itsme provider for the demo."""
