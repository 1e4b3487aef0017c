"""The feature blueprints, nested under the `lms` parent blueprint."""


def feature_blueprints():
    """Every feature blueprint, in registration order."""
    from .admin.views import admin_bp
    from .api import api_bp
    from .auth.views import auth_bp
    from .home.views import home_bp

    return [auth_bp, home_bp, admin_bp, api_bp]
