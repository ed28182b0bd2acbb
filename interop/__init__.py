"""Interop (issue 17): how Zoufang plays with the systems around it — partners' Open311 GeoReport v2 access and
their signed webhooks (docs/integration.md)."""
