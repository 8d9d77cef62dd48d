from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.mentor_role import ensure_mentor_group_after_migrate

        # After every migrate, not in a data migration: permissions exist only once
        # post_migrate has created them, and models added later join the role. Sent once per
        # app (after auth has made that app's permissions), so no app's models are missed.
        post_migrate.connect(ensure_mentor_group_after_migrate, dispatch_uid="mentor-role")
