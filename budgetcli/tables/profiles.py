"""Import profiles: the statement layouts one user's imports remembered, in the users table.

All of a user's profiles are one item, keyed `IMPORT_PROFILES#<user_id>`, whose
`profiles` map holds each profile by its layout's fingerprint: one consistent GetItem
finds the profile for a file, or lists them all. The item has neither `username` nor
`email`, so it is on none of the users table's indexes and none of the web app's
queries can return it (its owner is `owner_user_id`, as on the username markers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from budgetcli.errors import StorageError
from budgetcli.store import ConditionFailed, Item, Store
from budgetcli.tables.schema import USERS

# Creating the item and adding to its map are two requests; a concurrent first save
# can make the first fail, and then the second always succeeds.
_SAVE_TRIES = 3


@dataclass(frozen=True)
class StoredProfile:
    """One remembered layout: `layout` is the JSON of `statements.Layout.to_dict()`."""

    profile_id: str  # the layout's fingerprint
    layout: str
    saved_at: str
    name: str | None = None


KEY_PREFIX = "IMPORT_PROFILES#"


def _key(user_id: str) -> dict[str, str]:
    return {"user_id": f"{KEY_PREFIX}{user_id}"}


def _profile(profile_id: str, value: Any) -> StoredProfile | None:
    if not isinstance(value, dict) or not isinstance(value.get("layout"), str):
        return None  # not a profile this version wrote: ignored rather than fatal
    name = value.get("name")
    return StoredProfile(
        profile_id=profile_id,
        layout=value["layout"],
        saved_at=str(value.get("saved_at") or ""),
        name=str(name) if name else None,
    )


def _value(profile: StoredProfile) -> dict[str, str]:
    value = {"layout": profile.layout, "saved_at": profile.saved_at}
    if profile.name:
        value["name"] = profile.name
    return value


def all_of(store: Store, user_id: str) -> list[StoredProfile]:
    """Every profile of `user_id`, read consistently, oldest save first."""
    item: Item | None = store.get(USERS, _key(user_id), consistent=True)
    stored = item.get("profiles") if item else None
    if not isinstance(stored, dict):
        return []
    found = [_profile(str(key), value) for key, value in stored.items()]
    return sorted((p for p in found if p is not None), key=lambda p: (p.saved_at, p.profile_id))


def save(store: Store, user_id: str, profile: StoredProfile) -> None:
    """Write `profile` under its id, replacing the one there."""
    for _ in range(_SAVE_TRIES):
        try:
            store.update(
                USERS,
                _key(user_id),
                update="SET profiles.#id = :profile",
                condition="attribute_exists(profiles)",
                names={"#id": profile.profile_id},
                values={":profile": _value(profile)},
            )
            return
        except ConditionFailed:
            pass
        try:
            store.put(
                USERS,
                _key(user_id)
                | {"owner_user_id": user_id, "profiles": {profile.profile_id: _value(profile)}},
                condition="attribute_not_exists(user_id)",
            )
            return
        except ConditionFailed:
            continue
    raise StorageError("the import profiles kept changing under this import: run it again")


def rename(store: Store, user_id: str, profile_id: str, name: str) -> bool:
    """Set a profile's name; False when there is no such profile."""
    try:
        store.update(
            USERS,
            _key(user_id),
            update="SET profiles.#id.#name = :name",
            condition="attribute_exists(profiles.#id)",
            names={"#id": profile_id, "#name": "name"},
            values={":name": name},
        )
    except ConditionFailed:
        return False
    return True


def remove(store: Store, user_id: str, profile_id: str) -> bool:
    """Forget one profile; False when there was no such profile."""
    try:
        store.update(
            USERS,
            _key(user_id),
            update="REMOVE profiles.#id",
            condition="attribute_exists(profiles.#id)",
            names={"#id": profile_id},
        )
    except ConditionFailed:
        return False
    return True
