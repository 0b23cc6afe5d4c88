"""Flock client for Python: train on local data and take part in a Flock federation."""
