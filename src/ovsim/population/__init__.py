"""Patients and virtual populations."""

from ._patient import Lesion, Patient

__all__ = ["Lesion", "Patient"]
