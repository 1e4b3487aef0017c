"""Sign-in and activation forms (fields only; authentication lives in auth.service)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Police number and password (or the one-time activation code)."""

    police_no = StringField(_l("警号"), validators=[DataRequired(), Length(max=32)])
    password = PasswordField(_l("密码或激活码"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class ActivateForm(FlaskForm):
    """Choose a password on first sign-in."""

    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(), EqualTo("password", _l("两次输入不一致"))])
