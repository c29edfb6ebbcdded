"""Files at the edges: patient files in, results out."""

from ._patient_file import InputFileError, PatientScenario, load_patient
from ._results import TABLE_FORMATS, atomic_output_dir, json_text, write_patient_result, write_table

__all__ = [
    "InputFileError",
    "PatientScenario",
    "TABLE_FORMATS",
    "atomic_output_dir",
    "json_text",
    "load_patient",
    "write_patient_result",
    "write_table",
]
