"""The OpenAPI schema (`/api/schema`) and its Swagger UI (`/api/docs`), served offline."""

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: JSON by default, YAML with `?format=yaml`."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with no inline script or style: the start-up script is fetched with `?script`."""

    template_name = "api/docs.html"


def paths_without_trailing_slash(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: document `/api/tickets`, as the docs write the paths.

    The routes accept both spellings (`^api/tickets/?$`); the schema names
    each path once, without the slash.
    """
    return [(path.rstrip("/") or "/", regex, method, view) for path, regex, method, view in endpoints]
