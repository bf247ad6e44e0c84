"""Hypothesis strategies for bodies a client might send: any JSON, and ticket-shaped objects."""

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
TICKET_LIKE = st.dictionaries(
    st.sampled_from(["title", "description", "status", "priority", "assigned_to", "external_id", "id", "x"]),
    JSON_VALUES,
    max_size=6,
)
# Few examples keep the suite fast; each one is a real request against the real database.
FUZZ = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
