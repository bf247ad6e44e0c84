"""factory-boy factories for channels, and rules that notify them."""

import factory

from notifications.models import Channel
from notifications.signing import new_secret


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"channel-{n}")
    kind = Channel.Kind.WEBHOOK
    target = "https://hooks.example.com/triage"
    secret = factory.LazyFunction(new_secret)
    active = True
    max_per_minute = 30


def notify_rule(channel: Channel, *, name: str = "Tell the channel", trigger: str = "create", conditions=()):
    """A rule that notifies `channel` (and sets nothing) on `trigger`."""
    from automation.services import rule_save

    return rule_save(
        rule=None,
        data={
            "name": name,
            "trigger": trigger,
            "conditions": list(conditions),
            "actions": [{"type": "notify", "channel": channel.name}],
        },
    )
