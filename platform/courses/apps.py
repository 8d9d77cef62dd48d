from typing import Any

from django.apps import AppConfig
from django.db.models.signals import m2m_changed


def _groups_changed(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        from courses.roles import forget_role

        forget_role(instance)  # the user whose groups changed: ``is_mentor`` asks again


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses and assignments"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        m2m_changed.connect(
            _groups_changed, sender=User.groups.through, dispatch_uid="courses.roles.memo"
        )
