"""Business rules. Services take a Store, return plain objects and never print."""
