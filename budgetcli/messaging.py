"""Amazon SES email and SNS SMS: the clients, the sends and their errors in one line.

They always go through boto3's own chain (AWS credentials and region), whatever the
storage backend is: only DynamoDB has a local stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from budgetcli.config import Settings
from budgetcli.store import aws_client

Send = Callable[[str, str], None]
"""Sends (subject, body) to one recipient; raises DeliveryFailed."""


class DeliveryFailed(Exception):
    """A message could not be sent; the text says why, in one line."""


def _client(service: str, settings: Settings) -> Any:
    return aws_client(
        service,
        settings,
        no_region=f"no AWS region for {service.upper()}: set AWS_REGION (or region in config.toml)",
    )


def email_sender(settings: Settings, sender: str, to: str) -> Send:
    """Sends by Amazon SES from the verified address `sender` to `to`."""
    ses = _client("ses", settings)

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


def sms_sender(settings: Settings, phone: str) -> Send:
    """Sends a transactional SMS by Amazon SNS to the E.164 number `phone`."""
    sns = _client("sns", settings)

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
    """Whatever botocore raises while sending becomes one DeliveryFailed line."""
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
