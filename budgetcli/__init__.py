"""budgetcli: a terminal budget tracker backed by DynamoDB."""

__version__ = "0.1.0"
