"""How an alert reaches its user: printed by the command, or sent by SES email or SNS SMS.

The clients come from `store.make_client`, which sends SES and SNS through boto3's
own chain (AWS credentials and region) whatever the storage backend is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from budgetcli.config import Settings
from budgetcli.errors import ConfigError, InvalidInput
from budgetcli.services.accounts import User
from budgetcli.store import make_client


class DeliveryMethod(StrEnum):
    CONSOLE = "console"
    EMAIL = "email"
    SMS = "sms"


class DeliveryFailed(Exception):
    """A message could not be sent; the text says why, in one line."""


Send = Callable[[str, str], None]
"""Sends (subject, body) to one recipient; raises DeliveryFailed."""


@dataclass(frozen=True)
class Deliverer:
    method: DeliveryMethod
    recipient: str
    send: Send

    @property
    def immediate(self) -> bool:
        """Console alerts are delivered by being printed: there is nothing to send or retry."""
        return self.method is DeliveryMethod.CONSOLE


def _console(subject: str, body: str) -> None:
    """The command prints console alerts itself; a service never prints."""


def deliverer_for(method: DeliveryMethod, user: User, settings: Settings) -> Deliverer:
    """A Deliverer for `user`, or an error naming what is missing before anything is written."""
    if method is DeliveryMethod.CONSOLE:
        return Deliverer(method, "console", _console)
    if method is DeliveryMethod.EMAIL:
        if not settings.ses_sender:
            raise ConfigError(
                "email delivery needs a sender address: set BUDGET_SES_SENDER "
                "(or ses_sender in config.toml) to an address verified in Amazon SES"
            )
        ses = _client("ses", settings)
        return Deliverer(method, user.email, _email_sender(ses, settings.ses_sender, user.email))
    if not user.phone:
        raise InvalidInput(
            f"user {user.username} has no phone number for SMS alerts: "
            "use --deliver email or --deliver console"
        )
    sns = _client("sns", settings)
    return Deliverer(method, user.phone, _sms_sender(sns, user.phone))


def _client(service: str, settings: Settings) -> Any:
    from botocore.exceptions import NoRegionError

    try:
        return make_client(service, settings)
    except NoRegionError:
        raise ConfigError(
            f"no AWS region for {service.upper()}: set AWS_REGION (or region in config.toml)"
        ) from None


def _email_sender(ses: Any, sender: str, to: str) -> Send:
    def send(subject: str, body: str) -> None:
        with _failures("SES"):
            ses.send_email(
                Source=sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                },
            )

    return send


def _sms_sender(sns: Any, phone: str) -> Send:
    def send(subject: str, body: str) -> None:
        with _failures("SNS"):
            sns.publish(
                PhoneNumber=phone,
                Message=body,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )

    return send


@contextmanager
def _failures(service: str) -> Iterator[None]:
    """Whatever boto3 raises while sending becomes one DeliveryFailed line."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeliveryFailed(
            f"{service} refused the message ({error.get('Code', '')}): {error.get('Message', '')}"
        ) from None
    except NoCredentialsError:
        raise DeliveryFailed(
            f"no AWS credentials for {service}: set AWS_PROFILE or run `aws configure`"
        ) from None
    except BotoCoreError as exc:
        raise DeliveryFailed(f"{service} could not be reached: {exc}") from None
