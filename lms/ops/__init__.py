"""Operations: health and readiness probes, Prometheus metrics, request ids and JSON logs.

`init_app(app)` installs the request hooks (they act on the LMS's own requests only); the
probes and `/metrics` are routes of `ops_bp` at the mount point's root."""
from .requests import init_app
from .views import ops_bp

__all__ = ["init_app", "ops_bp"]
