"""The four tables of the Smart Budget data model, as the seed's web app defines them."""

from __future__ import annotations

from budgetcli.store import IndexSpec, TableSpec

USERS = "users"
EXPENSES = "expenses"
BUDGETS = "budgets"
NOTIFICATIONS = "notifications"

USERS_BY_USERNAME = "username-index"
USERS_BY_EMAIL = "email-index"
EXPENSES_BY_USER = "user_id-index"
EXPENSES_BY_USER_AND_DATE = "user_id-date-index"
BUDGETS_BY_USER = "user_id-index"
BUDGETS_BY_USER_AND_CATEGORY = "user_id-category-index"
NOTIFICATIONS_BY_USER_AND_TIME = "user_id-created_at-index"

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        USERS,
        "user_id",
        (IndexSpec(USERS_BY_USERNAME, "username"), IndexSpec(USERS_BY_EMAIL, "email")),
    ),
    TableSpec(
        EXPENSES,
        "expense_id",
        (
            IndexSpec(EXPENSES_BY_USER, "user_id"),
            IndexSpec(EXPENSES_BY_USER_AND_DATE, "user_id", "date"),
        ),
    ),
    TableSpec(
        BUDGETS,
        "budget_id",
        (
            IndexSpec(BUDGETS_BY_USER, "user_id"),
            IndexSpec(BUDGETS_BY_USER_AND_CATEGORY, "user_id", "category"),
        ),
    ),
    TableSpec(
        NOTIFICATIONS,
        "notification_id",
        (IndexSpec(NOTIFICATIONS_BY_USER_AND_TIME, "user_id", "created_at"),),
    ),
)
