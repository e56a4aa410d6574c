"""How an alert reaches its user: printed by the command, or sent as email or SMS."""

from __future__ import annotations

from dataclasses import dataclass

from budgetcli import messaging
from budgetcli.config import Settings
from budgetcli.errors import ConfigError, Field, InvalidInput
from budgetcli.messaging import DeliveryFailed, Send
from budgetcli.models import DeliveryMethod, User

__all__ = ["Deliverer", "DeliveryFailed", "DeliveryMethod", "deliverer_for"]


@dataclass(frozen=True)
class Deliverer:
    method: DeliveryMethod
    recipient: str
    send: Send

    @property
    def immediate(self) -> bool:
        """Console alerts are delivered by being printed: there is nothing to send or retry."""
        return self.method is DeliveryMethod.CONSOLE


def _printed_by_the_command(subject: str, body: str) -> None:
    """A service never prints: the command shows console alerts itself."""


def deliverer_for(method: DeliveryMethod, user: User, settings: Settings) -> Deliverer:
    """A Deliverer for `user`, or an error naming what is missing before anything is written."""
    if method is DeliveryMethod.CONSOLE:
        return Deliverer(method, "console", _printed_by_the_command)
    if method is DeliveryMethod.EMAIL:
        if not settings.ses_sender:
            raise ConfigError(
                "email delivery needs a sender address: set BUDGET_SES_SENDER "
                "(or ses_sender in config.toml) to an address verified in Amazon SES"
            )
        send = messaging.email_sender(settings, settings.ses_sender, user.email)
        return Deliverer(method, user.email, send)
    if not user.phone:
        raise InvalidInput(
            f"user {user.username} has no phone number for SMS alerts: use ",
            Field("method"),
            " email or ",
            Field("method"),
            " console",
        )
    return Deliverer(method, user.phone, messaging.sms_sender(settings, user.phone))
