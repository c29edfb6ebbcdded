"""Files at the edges: patient files in, results and SBML out."""

from ._csv_safe import safe_csv_frame
from ._patient_file import InputFileError, PatientScenario, load_patient
from ._results import TABLE_FORMATS, atomic_output_dir, json_text, write_patient_result, write_table
from ._sbml import check_sbml, export_patient_sbml, patient_sbml

__all__ = [
    "InputFileError",
    "PatientScenario",
    "TABLE_FORMATS",
    "atomic_output_dir",
    "check_sbml",
    "export_patient_sbml",
    "json_text",
    "load_patient",
    "patient_sbml",
    "safe_csv_frame",
    "write_patient_result",
    "write_table",
]
