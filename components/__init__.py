"""Reusable UI components of the Observatoire du numérique éducatif."""
