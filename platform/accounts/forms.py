from __future__ import annotations

from typing import Any

from courses.models import Course
from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Invitation, Role
from accounts.recipients import MAX_CSV_BYTES


class InviteForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.order_by("title"), empty_label=None)
    addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        label="E-mail addresses",
        help_text="One or many, separated by commas, spaces or new lines.",
    )
    csv_file = forms.FileField(
        required=False,
        label="Or a CSV file",
        help_text="Columns: email, then optionally name and username (a header row may name them).",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MENTEE, label="Invite as")

    def clean_csv_file(self) -> Any:
        upload = self.cleaned_data.get("csv_file")
        if upload is not None and upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(f"The CSV file is over {MAX_CSV_BYTES // 1024} KiB.")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("addresses") or "").strip() and not data.get("csv_file"):
            raise forms.ValidationError("Type at least one e-mail address or choose a CSV file.")
        return data


class AcceptForm(UserCreationForm):
    """Username and password for the account an invitation creates; the e-mail is the
    invitation's (where the password reset mail will go)."""

    def __init__(self, invitation: Invitation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        if not self.is_bound:
            self.initial["username"] = invitation.username or _local_part(invitation.email)

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.email = self.invitation.email
        first, _, last = self.invitation.name.partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        if commit:
            user.save()
        return user


def _local_part(email: str) -> str:
    allowed = "".join(c for c in email.split("@", 1)[0] if c.isalnum() or c in ".+-_")
    return allowed[:150]
