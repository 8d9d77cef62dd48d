"""Account pages: inviting (mentors), joining by invitation, the API token, the people list."""

from __future__ import annotations

from dashboard.access import mentor_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import api_tokens, audit, invitations, people
from accounts.forms import AcceptForm, InviteForm
from accounts.invitations import InvitationRefused
from accounts.models import Invitation
from accounts.recipients import Parsed, UnreadableFile, at_most_per_request, from_csv, from_text


def _link_for(request: HttpRequest) -> invitations.LinkFor:
    return lambda token: request.build_absolute_uri(reverse("accounts:accept", args=[token]))


@mentor_required
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {
        "form": form,
        "invitation_days": settings.ARENA_INVITATION_TTL_DAYS,
    }
    if request.method == "POST" and form.is_valid():
        try:
            parsed = _recipients(form)
        except UnreadableFile as exc:
            form.add_error(None, str(exc))
        else:
            outcome = invitations.invite(
                form.cleaned_data["course"],
                parsed.recipients,
                request.user,
                _link_for(request),
                role=form.cleaned_data["role"],
            )
            context.update(outcome=outcome, row_errors=parsed.errors)
            form = InviteForm(initial={"course": form.cleaned_data["course"]})
            context["form"] = form
    context["invitations"] = Invitation.objects.select_related("course", "accepted_by")[:300]
    return render(request, "accounts/invite.html", context)


def _recipients(form: InviteForm) -> Parsed:
    typed = from_text(form.cleaned_data.get("addresses") or "")
    upload = form.cleaned_data.get("csv_file")
    from_file = from_csv(upload.read()) if upload is not None else Parsed([], [])
    return at_most_per_request(
        Parsed([*typed.recipients, *from_file.recipients], [*typed.errors, *from_file.errors])
    )


@mentor_required
@require_POST
def send_again(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    outcome = invitations.send_again(invitation, request.user, _link_for(request))
    if outcome.sent:
        messages.success(request, f"A new invitation was sent to {invitation.email}.")
    elif outcome.unsent:
        fresh, link = outcome.unsent[0]
        messages.error(
            request, f"The mail to {fresh.email} could not be sent; give them this link: {link}"
        )
    else:
        messages.info(request, f"{invitation.email} has already accepted.")
    return redirect("accounts:invite")


@mentor_required
@require_POST
def withdraw(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    if invitations.withdraw(invitation, request.user):
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    else:
        messages.info(request, "That invitation was already used or withdrawn.")
    return redirect("accounts:invite")


def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitations.find(token)
    except InvitationRefused as refused:
        return _refused(request, refused)
    if request.user.is_authenticated:
        return _accept_signed_in(request, token, invitation)
    form = AcceptForm(invitation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the account is kept only if the link is spent
                user = form.save()
                invitations.accept(token, user)
        except InvitationRefused as refused:
            return _refused(request, refused)
        messages.success(
            request,
            f"Your account {user.get_username()} is ready and enrolled in "
            f"{invitation.course.title}. Log in with your new password.",
        )
        return redirect(f"{reverse('portal:login')}?username={user.get_username()}")
    context = {"invitation": invitation, "form": form}
    return render(request, "accounts/accept.html", context)


def _refused(request: HttpRequest, refused: InvitationRefused) -> HttpResponse:
    """410 Gone: the link existed (or never did) and cannot be used; the page says why."""
    return render(request, "accounts/accept.html", {"refused": refused.message}, status=410)


def _accept_signed_in(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    """Someone with an account (another course, say) joins with it instead of a new one."""
    if request.method != "POST":
        return render(request, "accounts/accept.html", {"invitation": invitation})
    try:
        invitations.accept(token, request.user)
    except InvitationRefused as refused:
        return _refused(request, refused)
    messages.success(request, f"You are enrolled in {invitation.course.title}.")
    return redirect("portal:home")


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    token = api_tokens.live_token(request.user)
    context = {
        "token": token,
        "expires": api_tokens.expires_at(token) if token else None,
        "ttl_days": api_tokens.lifetime().days,
    }
    return render(request, "accounts/api_token.html", context)


@login_required
@require_POST
def revoke_own_token(request: HttpRequest) -> HttpResponse:
    if api_tokens.revoke_tokens(request.user):
        messages.success(request, "Your API token is revoked: `arena login` gets a new one.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("accounts:api-token")


@mentor_required
def people_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/people.html", {"people": people.people()})


@mentor_required
@require_POST
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        people.set_active(request.user, user, active)
    except people.NotAllowed as refused:
        messages.error(request, str(refused))
    else:
        state = "enabled again" if active else "disabled: they can no longer log in"
        messages.success(request, f"{user.get_username()} is {state}.")
    return redirect("accounts:people")


@mentor_required
@require_POST
def revoke_user_token(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    if api_tokens.revoke_tokens(user):
        audit.record(request.user, user.get_username(), "API token", "live", "revoked")
        messages.success(request, f"{user.get_username()}'s API token is revoked.")
    else:
        messages.info(request, f"{user.get_username()} had no API token.")
    return redirect("accounts:people")
