"""The API v1 routers, one per resource."""
