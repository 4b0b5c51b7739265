"""Forms for logging in, setting a password and taking a role away."""

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

MIN_PASSWORD_LENGTH = 10


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(
        "E-mail", validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Log in")


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a short sentence is easiest.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")


class RemoveRoleForm(FlaskForm):
    """Which of a person's role grants to take away."""

    grant = IntegerField(validators=[InputRequired()])
