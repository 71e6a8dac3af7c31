"""The website's account forms; the rules (unique username, password validators) live in services."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# Evaluated per request, in the visitor's language (Django's own forms evaluate it once, at import).
password_help_text = lazy(password_validation.password_validators_help_text_html, str)


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Up to 150 letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=password_help_text(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        help_text=_("The same password, to catch typing mistakes."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    # The service's field names, as this form calls them.
    SERVICE_FIELDS = {"username": "username", "email": "email", "password": "password1"}

    def clean_username(self):
        # Told beside the other errors, not after they are fixed (the service checks again, for a race).
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is already taken."), code="username_taken")
        return username

    def clean_password1(self):
        # Checked here as well as by the service, so that a weak password is told at once, beside a mismatch.
        password = self.cleaned_data["password1"]
        candidate = get_user_model()(
            username=self.cleaned_data.get("username", ""), email=self.cleaned_data.get("email", "")
        )
        password_validation.validate_password(password, user=candidate)
        return password

    def clean(self):
        cleaned = super().clean()
        # The typed values: a first password refused as weak is still compared, so both are told at once.
        first, second = self.data.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned

    def focus_first_error(self) -> None:
        """Put the cursor in the first field with an error (instead of the username)."""
        first = next((name for name in self.fields if name in self.errors), None)
        if first is None:
            return
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        self.fields[first].widget.attrs["autofocus"] = True

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show a service's field errors (`InvalidInput.extra["errors"]`) next to the matching inputs."""
        for field, messages in errors.items():
            for message in messages:
                self.add_error(self.SERVICE_FIELDS.get(field), message)


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match an account. Both are case-sensitive."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The sign-up form's word for it; Django's would be the model field's ("사용자 이름" in Korean).
        self.fields["username"].label = _("Username")


class OtpForm(forms.Form):
    code = forms.RegexField(
        label=_("Verification code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        help_text=_("The 6 digits your authenticator app shows for StockLab."),
        error_messages={"invalid": _("Type the 6 digits, without letters.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )
