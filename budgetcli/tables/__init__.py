"""One module per DynamoDB table: its item shapes, keys and expressions."""
