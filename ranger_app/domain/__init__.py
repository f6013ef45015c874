"""Pure Python: record values, vocabularies, validation errors and geometry. No I/O frameworks."""
