"""``ovsim simulate PATIENT.yaml --out DIR`` (filled in by the engine work)."""
