"""Analysis datasets from a trial's tidy tables: a NONMEM / nlmixr2-ready dataset and CDISC SDTM / ADaM."""

from ._nonmem import COLUMN_DOCS as NONMEM_COLUMN_DOCS
from ._nonmem import STAGE_CODES, NonmemDataset, compartment_table, nonmem_dataset

__all__ = ["NONMEM_COLUMN_DOCS", "STAGE_CODES", "NonmemDataset", "compartment_table", "nonmem_dataset"]
from ._write import (BURDEN_UNITS, COHORT_NONMEM_MAX_PATIENTS, cohort_nonmem, trial_model, trial_nonmem,
                     write_cohort_nonmem, write_trial_datasets)

__all__ += ["BURDEN_UNITS", "COHORT_NONMEM_MAX_PATIENTS", "cohort_nonmem", "trial_model", "trial_nonmem",
            "write_cohort_nonmem", "write_trial_datasets"]
from ._cdisc import ADAM, SDTM, cdisc_datasets, write_cdisc
from ._cdisc_rules import RULE_IDS, Failure, check_all

__all__ += ["ADAM", "SDTM", "cdisc_datasets", "write_cdisc", "RULE_IDS", "Failure", "check_all"]
