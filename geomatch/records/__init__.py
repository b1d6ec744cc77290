"""The programme's records: register, agreements, progress reports, ledger, multi-year plan.

Public API (engineer C's evaluation builds on it):

* register — :func:`import_register`, :func:`import_register_bytes`, :func:`find_duplicates`,
  :func:`register_frame`, :func:`register_helpers`, :func:`export_register`,
  :func:`read_register_file`, :func:`write_register_template`;
* tables — :mod:`geomatch.records.orm` (``RegisterEntry``, ``Agreement``,
  ``AgreementEvent``, ``ProgressReport``, ``LedgerTarget`` …).

The database tables live on :class:`geomatch.service.models.Base` (migration
``0004_records``).
"""

from __future__ import annotations

from geomatch.records.identity import RegisterKey, register_key
from geomatch.records.orm import (
    AGREEMENT_STATUSES,
    Agreement,
    AgreementEvent,
    LedgerTarget,
    ProgressReport,
    RegisterEntry,
    RegisterImport,
)
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

__all__ = [
    "AGREEMENT_STATUSES",
    "Agreement",
    "AgreementEvent",
    "Duplicate",
    "LedgerTarget",
    "ProgressReport",
    "RegisterEntry",
    "RegisterFileError",
    "RegisterImport",
    "RegisterImportResult",
    "RegisterKey",
    "RegisterTable",
    "export_register",
    "find_duplicates",
    "import_register",
    "import_register_bytes",
    "read_register_file",
    "register_frame",
    "register_helpers",
    "register_key",
    "write_register_template",
]
