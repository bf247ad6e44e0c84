"""Page-numbered lists: `?page=N&page_size=M`, default 50, at most 500."""

from django.core.paginator import InvalidPage, Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# The largest `page` or `page_size` accepted (nine digits keep int() away from absurd strings).
LARGEST_NUMBER = 999_999_999
# In the schema: a whole number, or empty (the default).
WHOLE_NUMBER = {"type": "integer", "minimum": 1, "maximum": LARGEST_NUMBER}
EMPTY = {"type": "string", "maxLength": 0}


def _whole_number(request, name: str, default: int) -> int:
    """The query parameter as a whole number >= 1, or 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(LARGEST_NUMBER)) and int(raw) >= 1):
        raise ValidationError(
            {name: [f"Must be a whole number from 1 to {LARGEST_NUMBER}, not {raw[:20]!r}."]}
        )
    return int(raw)


class KnownCountPaginator(Paginator):
    """Django's paginator, told the total when the caller already knows it (no COUNT query)."""

    def __init__(self, object_list, per_page, *, known_count: int | None = None):
        super().__init__(object_list, per_page)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        return super().count if self.known_count is None else self.known_count


class TicketPagination(PageNumberPagination):
    """DRF's page-number pagination with clear errors.

    A `page` or `page_size` that is not a whole number >= 1 gets 400 naming
    the parameter (DRF would silently fall back to the default size); a page
    past the end gets 404 saying where the end is. A `page_size` above 500 is
    capped at 500, as DRF does.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """`page` and `page_size` as the API reads them: whole numbers from 1 (`page` may be `last`)."""
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number from 1 (`last` for the last page; empty for the first); "
                "past the last page is 404.",
                "schema": {"anyOf": [WHOLE_NUMBER, EMPTY]},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, default {DEFAULT_PAGE_SIZE} (also when empty); above "
                f"{MAX_PAGE_SIZE} gets {MAX_PAGE_SIZE}.",
                "schema": {"anyOf": [WHOLE_NUMBER, EMPTY]},
            },
        ]

    def get_page_size(self, request) -> int:
        return min(_whole_number(request, self.page_size_query_param, self.page_size), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        # A view may know the total without counting rows (`known_count(request)`).
        known = view.known_count(request) if view is not None and hasattr(view, "known_count") else None
        paginator = KnownCountPaginator(queryset, self.get_page_size(request), known_count=known)
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            number = paginator.num_pages
        else:
            number = _whole_number(request, self.page_query_param, 1)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(f"Page {number} does not exist; the last page is {paginator.num_pages}.") from None
        return list(self.page)
