"""Course set-up from the dashboard: an assignment's schedule and rules, deadline extensions, and
the audit trail of every change (no /admin/ needed)."""

from __future__ import annotations

from courses.models import Assignment, AuditEvent, DeadlineExtension
from courses.setup import grant_extension, revoke_extension, update_settings
from django.contrib import messages
from django.contrib.auth import get_user, get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.access import mentor_required
from dashboard.forms import AssignmentSettingsForm, ExtensionForm
from dashboard.queries import mentees

AUDIT_PAGE = 200
AUDIT_ON_SETTINGS = 50


@mentor_required
@require_http_methods(["GET", "POST"])
def assignment_settings(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    form = AssignmentSettingsForm(request.POST or None, instance=_copy(assignment))
    if request.method == "POST":
        if form.is_valid():
            events = update_settings(assignment, get_user(request), form.changes())
            if events:
                names = ", ".join(e.field for e in events)
                messages.success(request, f"{assignment.title}: saved ({names}).")
            else:
                messages.info(request, f"{assignment.title}: nothing changed.")
            return redirect("dashboard:settings", slug=slug)
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    return _settings_page(
        request, assignment, form, _extension_form(assignment), status=400 if form.errors else 200
    )


@mentor_required
@require_POST
def extension_grant(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    form = _extension_form(assignment, request.POST)
    if not form.is_valid():
        messages.error(request, "The extension was not granted: correct the fields marked below.")
        settings_form = AssignmentSettingsForm(instance=_copy(assignment))
        return _settings_page(request, assignment, settings_form, form, status=400)
    mentee, until = form.cleaned_data["mentee"], form.cleaned_data["until"]
    grant_extension(assignment, mentee, until, get_user(request))
    messages.success(
        request, f"{mentee.get_username()} may submit until {until:%Y-%m-%d %H:%M} UTC."
    )
    return redirect("dashboard:settings", slug=slug)


@mentor_required
@require_POST
def extension_revoke(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    mentee = get_object_or_404(get_user_model(), pk=user_id)
    if revoke_extension(assignment, mentee, get_user(request)):
        messages.success(request, f"{mentee.get_username()}'s extension is withdrawn.")
    else:
        messages.info(request, f"{mentee.get_username()} had no extension.")
    return redirect("dashboard:settings", slug=slug)


@mentor_required
@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()[:AUDIT_PAGE]
    return render(request, "dashboard/audit.html", {"events": events})


def _copy(assignment: Assignment) -> Assignment:
    """The form edits a copy: a rejected form must not leave bad values on the real row."""
    return Assignment.objects.get(pk=assignment.pk)


def _extension_form(assignment: Assignment, data: object = None) -> ExtensionForm:
    return ExtensionForm(data, assignment=assignment, mentees=mentees())


def _settings_page(
    request: HttpRequest,
    assignment: Assignment,
    form: AssignmentSettingsForm,
    extension_form: ExtensionForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "assignment": assignment,
        "form": form,
        "extension_form": extension_form,
        "extensions": DeadlineExtension.objects.filter(assignment=assignment).select_related(
            "user", "granted_by"
        ),
        "events": assignment.audit_events.all()[:AUDIT_ON_SETTINGS],
    }
    return render(request, "dashboard/settings.html", context, status=status)
