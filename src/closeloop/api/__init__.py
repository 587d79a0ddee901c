"""The HTTP application: app factory, native /api/v1 routers, auth, error mapping."""
