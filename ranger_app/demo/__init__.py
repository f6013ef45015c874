"""Realistic demo data for the Land of the Leopard: `generate(db, scale, seed, progress)`."""

from ranger_app.demo.generator import generate

__all__ = ["generate"]
