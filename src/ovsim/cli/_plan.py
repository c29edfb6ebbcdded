"""``ovsim plan LESIONS.csv --visit N`` (to be written)."""
