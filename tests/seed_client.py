"""The Smart Budget web app's data access, as a second client on the same tables.

The first four methods are copied as they are from the seed's `DynamoDBClient`
(`../shared/seeds/`, "Code Structure": create_user, get_user_by_username, add_expense,
get_expenses_by_user), bugs included: get_expenses_by_user ignores its filters and reads
one page. The seed describes the rest only by its tables and indexes ("GSI
`user_id-category-index` (to get budget for specific category)" and so on); those
methods are written in the same style from that description, and marked as such.
Only the table names differ: they come from the test's prefix.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any


class DynamoDBClient:
    def __init__(self, prefix: str, endpoint_url: str | None = None) -> None:
        import boto3

        dynamodb = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint_url)
        self.users_table = dynamodb.Table(f"{prefix}-users")
        self.expenses_table = dynamodb.Table(f"{prefix}-expenses")
        self.budgets_table = dynamodb.Table(f"{prefix}-budgets")
        self.notifications_table = dynamodb.Table(f"{prefix}-notifications")

    # --- copied from the seed ------------------------------------------------------------

    def create_user(self, username, email, password_hash, phone_number=None):
        user_id = str(uuid.uuid4())
        user_data = {
            "user_id": user_id,
            "username": username,
            "email": email,
            "password_hash": password_hash,
            "created_at": datetime.utcnow().isoformat(),
        }
        if phone_number:
            user_data["phone_number"] = phone_number

        self.users_table.put_item(Item=user_data)
        return user_data

    def get_user_by_username(self, username):
        response = self.users_table.query(
            IndexName="username-index",
            KeyConditionExpression="username = :username",
            ExpressionAttributeValues={":username": username},
        )
        items = response.get("Items", [])
        return items[0] if items else None

    def add_expense(self, user_id, amount, category, description, expense_date, receipt_url=None):
        expense_id = str(uuid.uuid4())
        item = {
            "expense_id": expense_id,
            "user_id": user_id,
            "amount": Decimal(str(amount)),
            "category": category,
            "description": description,
            "date": expense_date,
            "created_at": datetime.utcnow().isoformat(),
        }
        if receipt_url:
            item["receipt_url"] = receipt_url
        self.expenses_table.put_item(Item=item)
        return item

    def get_expenses_by_user(self, user_id, start_date=None, end_date=None, category=None):
        key_condition_expression = "user_id = :user_id"
        expression_attribute_values = {":user_id": user_id}

        query_params = {
            "IndexName": "user_id-date-index",
            "KeyConditionExpression": key_condition_expression,
            "ExpressionAttributeValues": expression_attribute_values,
            "ScanIndexForward": False,  # Most recent first
        }

        response = self.expenses_table.query(**query_params)
        return response.get("Items", [])

    # --- written from the seed's table descriptions, in the same style -------------------

    def get_user_by_email(self, email: str) -> dict[str, Any] | None:
        """`email-index` (for email lookup)."""
        response = self.users_table.query(
            IndexName="email-index",
            KeyConditionExpression="email = :email",
            ExpressionAttributeValues={":email": email},
        )
        items = response.get("Items", [])
        return items[0] if items else None

    def get_all_expenses(self, user_id: str) -> list[dict[str, Any]]:
        """`user_id-index` (to get all expenses for a user)."""
        response = self.expenses_table.query(
            IndexName="user_id-index",
            KeyConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":user_id": user_id},
        )
        items: list[dict[str, Any]] = response.get("Items", [])
        return items

    def create_budget(
        self, user_id: str, category: str, amount: Any, alert_threshold: Any = 80
    ) -> dict[str, Any]:
        """Attributes: user_id, category, amount, alert_threshold, created_at."""
        item = {
            "budget_id": str(uuid.uuid4()),
            "user_id": user_id,
            "category": category,
            "amount": Decimal(str(amount)),
            "alert_threshold": Decimal(str(alert_threshold)),
            "created_at": datetime.utcnow().isoformat(),
        }
        self.budgets_table.put_item(Item=item)
        return item

    def get_budgets_by_user(self, user_id: str) -> list[dict[str, Any]]:
        """`user_id-index` (to get all budgets for a user)."""
        response = self.budgets_table.query(
            IndexName="user_id-index",
            KeyConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":user_id": user_id},
        )
        items: list[dict[str, Any]] = response.get("Items", [])
        return items

    def get_budget_for_category(self, user_id: str, category: str) -> dict[str, Any] | None:
        """`user_id-category-index` (to get budget for specific category)."""
        response = self.budgets_table.query(
            IndexName="user_id-category-index",
            KeyConditionExpression="user_id = :user_id AND category = :category",
            ExpressionAttributeValues={":user_id": user_id, ":category": category},
        )
        items = response.get("Items", [])
        return items[0] if items else None

    def create_notification(
        self, user_id: str, type: str, message: str, delivery_method: str = "email"
    ) -> dict[str, Any]:
        """Attributes: user_id, type, message, delivery_method, created_at."""
        item = {
            "notification_id": str(uuid.uuid4()),
            "user_id": user_id,
            "type": type,
            "message": message,
            "delivery_method": delivery_method,
            "created_at": datetime.utcnow().isoformat(),
        }
        self.notifications_table.put_item(Item=item)
        return item

    def get_notifications_by_user(self, user_id: str) -> list[dict[str, Any]]:
        """`user_id-created_at-index` (to get notifications for a user)."""
        response = self.notifications_table.query(
            IndexName="user_id-created_at-index",
            KeyConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":user_id": user_id},
            ScanIndexForward=False,
        )
        items: list[dict[str, Any]] = response.get("Items", [])
        return items
