"""Keycloak administration: applying the declarative realm (the only user of python-keycloak)."""
