"""Figures as plain data (design section 2): effort, and later fires, feeding, camera uptime.

Services here read the store and return frozen dataclasses; rendering (tables, PDF) lives in
`ranger_app.ui`. Nothing here imports Qt, so every report also runs from the CLI and tests.
"""
