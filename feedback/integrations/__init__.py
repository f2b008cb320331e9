"""Clients for services we call but do not run."""
