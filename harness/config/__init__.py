"""Schemas for what users write (scenarios, golden sets, gates), loading them, and one-line
`ConfigError`s. Import from the submodules: this package imports nothing, so loading one schema
(or the errors) stays cheap."""
