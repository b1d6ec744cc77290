"""The geomatch web service: FastAPI app, database, jobs, roles, pages.

``geomatch serve`` starts it; :func:`create_app` builds the application for tests and
other servers. See the README's "Web service" section.
"""

from geomatch.service.app import create_app, prepare_database
from geomatch.service.config import ServiceSettings, get_settings

__all__ = ["ServiceSettings", "create_app", "get_settings", "prepare_database"]
