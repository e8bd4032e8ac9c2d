"""pytest fixtures for Shoal: see pytest_shoal.plugin."""
