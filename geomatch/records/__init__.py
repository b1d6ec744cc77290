"""The programme's records: register, agreements, progress reports, ledger, multi-year plan.

Public API (engineer C's evaluation builds on it):

* register — :func:`import_register`, :func:`import_register_bytes`, :func:`find_duplicates`,
  :func:`register_frame`, :func:`register_helpers`, :func:`export_register`,
  :func:`read_register_file`, :func:`write_register_template`;
* agreements — :func:`propose_for_run`, :func:`draft_agreements`, :func:`store_drafts`,
  :func:`transition` (:data:`TRANSITIONS`), :func:`access`, :func:`list_agreements`,
  :func:`agreement_history`, :func:`locks_on`;
* progress — :func:`submit_report`, :func:`late_quarters`, :func:`quarter_bounds`;
* ledger — :func:`ledger`, :func:`self_check`, :func:`import_targets`, :func:`unit_figures`;
* multi-year plan — :func:`run_plan`, :func:`parse_years`;
* runs — :func:`import_run_folder`, :func:`register_dataset`, :func:`agreement_locks`,
  :func:`find_run`;
* tables — :mod:`geomatch.records.orm` (``RegisterEntry``, ``Agreement``,
  ``AgreementEvent``, ``ProgressReport``, ``LedgerTarget`` …).


The database tables live on :class:`geomatch.service.models.Base` (migration
``0004_records``).
"""

from __future__ import annotations

from geomatch.records.agreements import (
    TRANSITIONS,
    IllegalTransitionError,
    access,
    agreement_history,
    draft_agreements,
    list_agreements,
    locks_on,
    propose_for_run,
    store_drafts,
    transition,
)
from geomatch.records.identity import RegisterKey, register_key
from geomatch.records.ledger import import_targets, ledger, self_check, unit_figures
from geomatch.records.orm import (
    AGREEMENT_STATUSES,
    Agreement,
    AgreementEvent,
    LedgerTarget,
    ProgressReport,
    RegisterEntry,
    RegisterImport,
)
from geomatch.records.plan import parse_years, run_plan
from geomatch.records.register import (
    Duplicate,
    RegisterImportResult,
    export_register,
    find_duplicates,
    import_register,
    import_register_bytes,
    register_frame,
    register_helpers,
)
from geomatch.records.register_file import (
    RegisterFileError,
    RegisterTable,
    read_register_file,
    write_register_template,
)
from geomatch.records.reports import (
    DuplicateReportError,
    ReportFigures,
    late_quarters,
    quarter_bounds,
    submit_report,
)
from geomatch.records.runs import (
    agreement_locks,
    find_run,
    import_run_folder,
    register_dataset,
)

__all__ = [
    "AGREEMENT_STATUSES",
    "TRANSITIONS",
    "Agreement",
    "AgreementEvent",
    "Duplicate",
    "DuplicateReportError",
    "IllegalTransitionError",
    "LedgerTarget",
    "ProgressReport",
    "RegisterEntry",
    "RegisterFileError",
    "RegisterImport",
    "RegisterImportResult",
    "RegisterKey",
    "RegisterTable",
    "ReportFigures",
    "access",
    "agreement_history",
    "agreement_locks",
    "draft_agreements",
    "export_register",
    "find_duplicates",
    "find_run",
    "import_register",
    "import_register_bytes",
    "import_run_folder",
    "import_targets",
    "late_quarters",
    "ledger",
    "list_agreements",
    "locks_on",
    "parse_years",
    "propose_for_run",
    "quarter_bounds",
    "read_register_file",
    "register_dataset",
    "register_frame",
    "register_helpers",
    "register_key",
    "run_plan",
    "self_check",
    "store_drafts",
    "submit_report",
    "transition",
    "unit_figures",
    "write_register_template",
]
