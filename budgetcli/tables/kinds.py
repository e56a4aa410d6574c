"""The kinds of item an account owns, table by table: what `budget backup` reads and
`budget restore` writes back.

Each table module lists its kinds in `BACKUP_KINDS`: how to find every item of that kind
a user owns (a Query or a GetItem, never a Scan), and how to tell an item's owner. A new
kind of item is one more `ItemKind` in its table module's `BACKUP_KINDS` (a new table
module's go into `services.backup.KINDS`); one kept per account in the users table under
`<PREFIX><user_id>` is one more line in `users.SIDE_ITEMS`. Once a format version is
released, a new kind also makes a new version (`services.backup.format.VERSION`), so that
an older budgetcli asks for an upgrade instead of meeting a kind it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from budgetcli.models import User
from budgetcli.store import NULL, Item, Store, TransactionCancelled


@dataclass(frozen=True)
class ItemKind:
    """One kind of item that belongs to one account."""

    name: str
    """How the backup file names it; fixed once a backup format has it."""
    table: str
    key: str
    """The table's key attribute."""
    owner: Callable[[Item], str | None]
    """The user_id an item of this kind belongs to; None when the item is not of this kind."""
    items_of: Callable[[Store, User], Iterable[Item]] | None = None
    """Every item of this kind the user has (a Query), unless `keys_of` says where they are."""
    keys_of: Callable[[User], Collection[str]] | None = None
    """The only keys this kind can have for a user, when they follow from the user."""
    private: frozenset[str] = frozenset()
    """Attributes never written to a backup and left out when items are compared."""
    with_account: bool = False
    """Written in one transaction with the user item, after everything else, so that no
    one can log in to an account that is only half restored."""

    def owned_items(self, store: Store, user: User) -> Iterator[Item]:
        """Every item of this kind that `user` owns, and nothing of anyone else's."""
        if self.keys_of is not None:
            found: Iterable[Item | None] = (
                store.get(self.table, {self.key: key}, consistent=True)
                for key in self.keys_of(user)
            )
        elif self.items_of is not None:
            found = self.items_of(store, user)
        else:
            raise TypeError(f"{self.name}: give items_of or keys_of")
        for item in found:
            if item is not None and self.owner(item) == user.user_id:
                yield item


def by_user_id(
    table: str, index: str, partition: Callable[[str], str] = str
) -> Callable[[Store, User], Iterator[Item]]:
    """`items_of` for a kind found on a GSI keyed by `user_id`, in the user's partition
    (or in `partition(user_id)`, a partition of its own)."""

    def items_of(store: Store, user: User) -> Iterator[Item]:
        return store.query(
            table,
            index=index,
            key_condition="#user = :user",
            names={"#user": "user_id"},
            values={":user": partition(user.user_id)},
        )

    return items_of


def user_id_owner(item: Item) -> str | None:
    """`owner` for a kind whose items name their owner in `user_id`."""
    owner = item.get("user_id")
    return owner if isinstance(owner, str) else None


def stored_versions(store: Store, kind: ItemKind, keys: Sequence[str]) -> dict[str, Item]:
    """The items stored under `keys` (read consistently), by key; missing ones left out."""
    found = store.batch_get(kind.table, [{kind.key: key} for key in keys], consistent=True)
    return {str(item[kind.key]): item for item in found}


def _as_stored(item: Item) -> Item:
    # An attribute read back as None was stored as NULL: write it so, not leave it out.
    return {name: NULL if value is None else value for name, value in item.items()}


def put_new(store: Store, kind: ItemKind, items: Sequence[Item]) -> list[bool]:
    """Put each item where its key is free; True where it was written. An item that is
    there is never overwritten."""
    return store.put_if_absent(kind.table, [_as_stored(item) for item in items], key=kind.key)


def put_all_if_absent(store: Store, kind: ItemKind, items: Sequence[Item]) -> bool:
    """Put every item (all of `kind`'s table), each only where its key is free, all or
    none; False when one of the keys was taken, and nothing was written."""
    operations = [
        store.put_op(
            kind.table,
            _as_stored(item),
            condition="attribute_not_exists(#key)",
            names={"#key": kind.key},
        )
        for item in items
    ]
    try:
        store.transact_write(operations)
    except TransactionCancelled as cancelled:
        if "ConditionalCheckFailed" in cancelled.reasons:
            return False
        raise
    return True
