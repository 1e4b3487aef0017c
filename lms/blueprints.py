"""The feature blueprints, nested under the `lms` parent blueprint."""


def feature_blueprints():
    """Every feature blueprint, in registration order."""
    from .admin.views import admin_bp
    from .api import api_bp
    from .auth.views import auth_bp
    from .catalog.views import catalog_bp
    from .claims.views import claims_bp
    from .classrooms.views import classrooms_bp
    from .home.views import home_bp
    from .lessons.views import lessons_bp
    from .mistakes.views import mistakes_bp
    from .notifications.views import notifications_bp
    from .ops import ops_bp
    from .profile.views import profile_bp
    from .quiz.views import quiz_bp
    from .studio import studio_bp
    from .supervise import supervise_bp

    return [auth_bp, home_bp, lessons_bp, quiz_bp, catalog_bp, classrooms_bp, profile_bp,
            claims_bp, mistakes_bp, notifications_bp, supervise_bp, studio_bp, admin_bp, api_bp,
            ops_bp]
