"""Ranger Field Log: offline records for the rangers of the Land of Big Cats."""

__version__ = "0.1.0"
