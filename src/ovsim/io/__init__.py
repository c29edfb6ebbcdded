"""Files at the edges: patient files and patient records (measured data) in, results and SBML out."""

from ._csv_safe import safe_csv_frame
from ._patient_data import LesionRecord, PatientRecord, identifiability_problem, load_patient_data
from ._patient_file import InputFileError, PatientScenario, load_patient
from ._results import TABLE_FORMATS, atomic_output_dir, json_text, write_patient_result, write_table
from ._sbml import check_sbml, export_patient_sbml, patient_sbml

__all__ = [
    "InputFileError",
    "LesionRecord",
    "PatientRecord",
    "PatientScenario",
    "TABLE_FORMATS",
    "atomic_output_dir",
    "check_sbml",
    "export_patient_sbml",
    "identifiability_problem",
    "json_text",
    "load_patient",
    "load_patient_data",
    "patient_sbml",
    "safe_csv_frame",
    "write_patient_result",
    "write_table",
]
