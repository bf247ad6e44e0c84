"""Admin building blocks shared by every app's admin."""


class ReadOnlyAdminMixin:
    """For records that only the application writes (audit, logs, runs): nobody adds, edits or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
