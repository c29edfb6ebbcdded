"""Time units shared by every layer (no heavy imports: ``ovsim plan`` and ``ovsim.assess`` use it)."""

DAYS_PER_MONTH = 365.25 / 12.0
"""Days in a month (mean Gregorian month)."""
