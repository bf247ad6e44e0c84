"""The rules engine, pure: no database, no Django models."""

import pytest

from automation.engine import Action, Condition, RuleSpec, evaluate, rule_problems
from tickets.invariants import breaks_assignment_rule

TICKET = {
    "title": "Site down",
    "description": "",
    "status": "open",
    "priority": "medium",
    "assigned_to": "",
    "external_id": "",
}


def allowed(state):
    return not breaks_assignment_rule(state)


def high_rule(**overrides):
    return RuleSpec(
        **{
            "id": 1,
            "name": "High",
            "conditions": (
                Condition("priority", "changed"),
                Condition("priority", "is", "high"),
                Condition("status", "is_not", "closed"),
            ),
            "actions": (Action("assigned_to", "Senior Analyst"), Action("status", "in_progress")),
            **overrides,
        }
    )


def low_rule(**overrides):
    return RuleSpec(
        **{
            "id": 2,
            "name": "Low",
            "conditions": (
                Condition("priority", "changed"),
                Condition("priority", "is", "low"),
                Condition("assigned_to", "is_empty"),
            ),
            "actions": (Action("assigned_to", "SupportBot"),),
            **overrides,
        }
    )


SEED = (high_rule(), low_rule(position=1))


@pytest.mark.parametrize(
    "operator, value, current, before, expected",
    [
        ("is", "high", "high", "low", True),
        ("is", "high", "low", "low", False),
        ("is_not", "closed", "open", None, True),
        ("in", ("open", "closed"), "closed", None, True),
        ("in", ("open", "closed"), "in_progress", None, False),
        ("not_in", ("open",), "closed", None, True),
        ("is_empty", "", "  ", None, True),
        ("is_empty", "", "Dana", None, False),
        ("is_not_empty", "", "Dana", None, True),
        ("contains", "OUTAGE", "Partial outage in eu", None, True),
        ("contains", "outage", "Printer jam", None, False),
        ("changed", "", "high", "low", True),
        ("changed", "", "high", "high", False),
        ("changed", "", "high", None, True),
        ("changed_to", "high", "high", "low", True),
        ("changed_to", "high", "high", "high", False),
        ("changed_from", "low", "high", "low", True),
        ("changed_from", "low", "high", "medium", False),
    ],
)
def test_every_operator(operator, value, current, before, expected):
    field = "title" if operator == "contains" else "priority"
    stored = None if before is None else {field: before}
    assert Condition(field, operator, value).holds(stored, {field: current}) is expected


def test_high_priority_on_create_goes_to_the_senior_analyst():
    outcome = evaluate(None, {**TICKET, "priority": "high", "assigned_to": "Dana"}, SEED, is_allowed=allowed)
    assert outcome.state["assigned_to"] == "Senior Analyst"
    assert outcome.state["status"] == "in_progress"
    assert [f.rule.name for f in outcome.firings] == ["High"]
    assert outcome.changes == {"assigned_to": ["Dana", "Senior Analyst"], "status": ["open", "in_progress"]}


def test_low_priority_on_create_goes_to_supportbot_and_medium_is_untouched():
    low = evaluate(None, {**TICKET, "priority": "low"}, SEED, is_allowed=allowed)
    assert low.state["assigned_to"] == "SupportBot"
    medium = evaluate(None, TICKET, SEED, is_allowed=allowed)
    assert medium.state == TICKET and medium.firings == []


def test_raising_priority_later_fires_and_closing_a_high_ticket_does_not():
    stored = {**TICKET, "priority": "medium"}
    raised = evaluate(stored, {**stored, "priority": "high"}, SEED, is_allowed=allowed)
    assert raised.state["status"] == "in_progress"
    high = {**TICKET, "priority": "high", "status": "in_progress", "assigned_to": "Senior Analyst"}
    closing = evaluate(high, {**high, "status": "closed"}, SEED, is_allowed=allowed)
    assert closing.state["status"] == "closed" and closing.firings == []


def test_an_update_that_does_not_change_priority_fires_nothing():
    stored = {**TICKET, "priority": "low", "assigned_to": ""}
    outcome = evaluate(stored, {**stored, "title": "Renamed"}, SEED, is_allowed=allowed)
    assert outcome.firings == []


def test_all_and_any():
    conditions = (Condition("priority", "is", "high"), Condition("title", "contains", "outage"))
    action = (Action("assigned_to", "NOC"),)
    both = RuleSpec(id=1, name="all", conditions=conditions, actions=action, match="all")
    either = RuleSpec(id=2, name="any", conditions=conditions, actions=action, match="any")
    state = {**TICKET, "title": "Network outage"}
    assert evaluate(None, state, [both], is_allowed=allowed).firings == []
    assert evaluate(None, state, [either], is_allowed=allowed).state["assigned_to"] == "NOC"


def test_rules_chain_and_an_earlier_rule_can_match_after_a_later_one():
    escalate = RuleSpec(
        id=1,
        name="escalate",
        position=1,
        conditions=(Condition("priority", "is", "high"),),
        actions=(Action("assigned_to", "NOC"),),
    )
    mark = RuleSpec(
        id=2,
        name="mark",
        position=2,
        conditions=(Condition("title", "contains", "outage"),),
        actions=(Action("priority", "high"),),
    )
    outcome = evaluate(None, {**TICKET, "title": "outage"}, [escalate, mark], is_allowed=allowed)
    assert [f.rule.name for f in outcome.firings] == ["mark", "escalate"]
    assert outcome.state["assigned_to"] == "NOC"


def test_two_rules_that_would_ping_pong_settle_after_one_firing_each():
    to_high = RuleSpec(
        id=1,
        name="up",
        conditions=(Condition("priority", "is", "low"),),
        actions=(Action("priority", "high"),),
    )
    to_low = RuleSpec(
        id=2,
        name="down",
        conditions=(Condition("priority", "is", "high"),),
        actions=(Action("priority", "low"),),
    )
    outcome = evaluate(None, {**TICKET, "priority": "low"}, [to_high, to_low], is_allowed=allowed)
    assert [f.rule.name for f in outcome.firings] == ["up", "down"]
    assert outcome.state["priority"] == "low"
    again = evaluate(None, {**TICKET, "priority": "low"}, [to_high, to_low], is_allowed=allowed)
    assert again.state == outcome.state


def test_stop_processing_ends_the_save():
    first = RuleSpec(
        id=1, name="first", conditions=(), actions=(Action("assigned_to", "NOC"),), stop_processing=True
    )
    second = RuleSpec(id=2, name="second", conditions=(), actions=(Action("priority", "high"),))
    outcome = evaluate(None, TICKET, [first, second], is_allowed=allowed)
    assert [f.rule.name for f in outcome.firings] == ["first"]
    assert outcome.state["priority"] == "medium"


def test_disabled_rules_and_triggers():
    state = {**TICKET, "priority": "high"}
    assert evaluate(None, state, [high_rule(enabled=False)], is_allowed=allowed).firings == []
    assert evaluate(None, state, [high_rule(trigger="update")], is_allowed=allowed).firings == []
    stored = {**TICKET}
    assert evaluate(stored, state, [high_rule(trigger="create")], is_allowed=allowed).firings == []
    assert evaluate(stored, state, [high_rule(trigger="update")], is_allowed=allowed).firings != []


def test_a_firing_that_would_break_the_business_rule_is_blocked():
    bad = RuleSpec(
        id=9,
        name="bad",
        conditions=(Condition("priority", "is", "low"),),
        actions=(Action("status", "in_progress"),),
    )
    outcome = evaluate(None, {**TICKET, "priority": "low"}, [bad], is_allowed=allowed)
    assert outcome.firings == [] and [f.rule.name for f in outcome.blocked] == ["bad"]
    assert outcome.state["status"] == "open"


@pytest.mark.parametrize(
    "rule, fragment",
    [
        (
            RuleSpec(
                id=1,
                name="x",
                conditions=(Condition("colour", "is", "red"),),
                actions=(Action("status", "closed"),),
            ),
            "Unknown condition field",
        ),
        (
            RuleSpec(
                id=1,
                name="x",
                conditions=(Condition("priority", "is", "urgent"),),
                actions=(Action("status", "closed"),),
            ),
            "not a valid priority",
        ),
        (
            RuleSpec(id=1, name="x", conditions=(), actions=(Action("status", "pending"),)),
            "not a valid status",
        ),
        (RuleSpec(id=1, name="x", conditions=(), actions=(Action("title", "x"),)), "Actions can set only"),
        (RuleSpec(id=1, name="x", conditions=(), actions=()), "at least one action"),
        (
            RuleSpec(
                id=1,
                name="x",
                conditions=(Condition("priority", "is", "low"),),
                actions=(Action("status", "in_progress"),),
            ),
            "business rule",
        ),
        (
            RuleSpec(id=1, name="x", conditions=(), actions=(Action("assigned_to", "SupportBot"),)),
            "business rule",
        ),
    ],
)
def test_invalid_rules_are_explained(rule, fragment):
    problems = rule_problems(rule, is_allowed=allowed, sample_assignees=("SupportBot",))
    assert any(fragment in problem for problem in problems), problems


def test_the_seed_rules_are_valid():
    for rule in SEED:
        assert rule_problems(rule, is_allowed=allowed, sample_assignees=("SupportBot",)) == []


def test_a_rule_that_sets_in_progress_with_a_person_is_valid():
    rule = RuleSpec(
        id=1,
        name="x",
        conditions=(),
        actions=(Action("status", "in_progress"), Action("assigned_to", "Dana")),
    )
    assert rule_problems(rule, is_allowed=allowed, sample_assignees=("SupportBot",)) == []
