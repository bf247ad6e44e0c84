"""The alert sources, by the name in their URL: `/webhook/<source>/<integration name>`.

Each source is a module with the same four names:

- `HEADERS`: the request headers it reads (lower case);
- `delivery_id(headers, body)`: the delivery's id as the log may show it
  before the request is verified (empty when it is inside the body);
- `authenticate(integration, headers, body)`: raises `Unverified` unless
  the request is signed the way its sender signs;
- `read(integration, headers, body)`: the verified delivery as a
  `Reading` (its id and events), or `BadPayload`.
"""

from types import ModuleType

from intake import alertmanager, github, pagerduty

SOURCES: dict[str, ModuleType] = {module.NAME: module for module in (alertmanager, github, pagerduty)}
