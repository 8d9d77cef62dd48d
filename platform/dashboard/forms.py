"""The mentor's course set-up forms. Dates are typed in UTC (the platform's clock)."""

from __future__ import annotations

from typing import Any, ClassVar

from courses.models import Assignment
from courses.setup import SETTING_FIELDS
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MAX_DAILY_QUOTA = 500
MAX_IN_FLIGHT = 50


class UtcDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_FORMAT)


def _datetime_field(label: str, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=UtcDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text="UTC; leave empty for none.",
    )


class AssignmentSettingsForm(forms.ModelForm):
    opens_at = _datetime_field("Opens at")
    deadline = _datetime_field("Deadline")
    daily_quota = forms.IntegerField(
        label="Daily quota",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAILY_QUOTA)],
        help_text="Uploads per mentee in any 24 hours.",
    )
    max_in_flight = forms.IntegerField(
        label="Runs in flight",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_IN_FLIGHT)],
        help_text="Uploads a mentee may have queued or running at once.",
    )
    late_penalty_percent = forms.FloatField(
        label="Late penalty (% per day)",
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
        help_text="Percent of the score taken off per day (or part of one) late.",
    )
    max_selected = forms.IntegerField(
        label="Private picks",
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Submissions a mentee may select for the private leaderboard.",
    )

    class Meta:
        model = Assignment
        fields: ClassVar[list[str]] = list(SETTING_FIELDS)
        labels: ClassVar[dict[str, str]] = {
            "published": "Published (mentees see it from its opening date)",
            "public": "Public (anonymous visitors may read it and its boards)",
            "late_policy": "Late uploads",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        opens_at, deadline = cleaned.get("opens_at"), cleaned.get("deadline")
        if opens_at and deadline and deadline <= opens_at:
            self.add_error("deadline", "The deadline must be after the opening date.")
        return cleaned

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SETTING_FIELDS}


class ExtensionForm(forms.Form):
    mentee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Mentee")
    until = _datetime_field("New deadline", required=True)

    def __init__(self, *args: Any, assignment: Assignment, mentees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.fields["mentee"].queryset = mentees
        self.fields["mentee"].label_from_instance = lambda user: user.get_username()
        self.fields["until"].help_text = "UTC; must be after the assignment's deadline."

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        deadline = self.assignment.deadline
        if deadline is None:
            raise forms.ValidationError(
                "The assignment has no deadline: set one before granting extensions."
            )
        if until <= deadline:
            raise forms.ValidationError(
                f"An extension must end after the deadline ({deadline:%Y-%m-%d %H:%M} UTC)."
            )
        return until
