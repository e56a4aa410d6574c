"""Import profiles: a statement layout that worked, remembered for the next file like it.

A profile is found by the layout's fingerprint (its header cells and delimiter), so the
next export from the same bank is read the same way with no options. Profiles are stored
with the account (tables/profiles.py), so a cron job on another machine finds them too.
A profile can be given a name, to choose it by hand (`ImportOptions.profile`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from budgetcli.dates import utc_now_iso
from budgetcli.errors import Conflict, InvalidInput, NotFound
from budgetcli.statements import BadLayout, Layout
from budgetcli.store import Store
from budgetcli.tables import profiles as table

MAX_NAME_LENGTH = 40
# A name must not look like an id, so that "show X" finds one thing.
PROFILE_ID = re.compile(r"^[0-9a-f]{16}$")
_NAME = re.compile(r"^[\w][\w.+-]*$")


@dataclass(frozen=True)
class Profile:
    profile_id: str
    layout: Layout
    saved_at: str
    name: str | None = None

    @property
    def label(self) -> str:
        """How a person refers to it: its name, else its id."""
        return self.name or self.profile_id


def _loaded(stored: table.StoredProfile) -> Profile | None:
    try:
        layout = Layout.from_dict(json.loads(stored.layout))
    except (BadLayout, ValueError, TypeError):
        return None  # written by a later version, or damaged: detection takes over
    return Profile(stored.profile_id, layout, stored.saved_at, stored.name)


def profiles_of(store: Store, user_id: str) -> list[Profile]:
    """The user's profiles, oldest first (one consistent read)."""
    loaded = (_loaded(stored) for stored in table.all_of(store, user_id))
    return [profile for profile in loaded if profile is not None]


def parse_profile_name(text: str) -> str:
    """A profile's name: letters, digits and . _ + -, up to 40 characters, not an id."""
    name = text.strip()
    if not name:
        raise InvalidInput("a profile name cannot be empty: use a word like ing or amex-card")
    if len(name) > MAX_NAME_LENGTH or not _NAME.match(name) or PROFILE_ID.match(name):
        raise InvalidInput(
            f"profile name {name!r} must be up to {MAX_NAME_LENGTH} letters, digits, '.', "
            "'_', '+' or '-' (and not look like a profile id)"
        )
    return name


def chosen(profiles: Sequence[Profile], wanted: str) -> Profile:
    """The profile called `wanted`, or whose id it is; NotFound otherwise."""
    for profile in profiles:
        if wanted in (profile.profile_id, profile.name):
            return profile
    known = ", ".join(p.label for p in profiles) or "none yet"
    raise NotFound(f"no import profile is called {wanted!r} (profiles: {known})")


def for_fingerprint(profiles: Sequence[Profile], fingerprint: str) -> Profile | None:
    return next((p for p in profiles if p.profile_id == fingerprint), None)


def same_reading(first: Layout, second: Layout) -> bool:
    """Whether two layouts read a file alike (proof and reasons aside)."""
    return first.fingerprint == second.fingerprint and first.as_overrides() == second.as_overrides()


def remember(
    store: Store,
    user_id: str,
    layout: Layout,
    *,
    name: str | None,
    previous: Profile | None,
) -> Profile | None:
    """Store `layout` as the profile for its fingerprint; None when that profile already
    reads files this way under this name (so a daily cron import writes nothing)."""
    if previous is not None and previous.profile_id == layout.fingerprint:
        unchanged = same_reading(previous.layout, layout)
        if unchanged and (name is None or name == previous.name):
            return None
        name = name or previous.name
    if name is not None:
        _check_free(profiles_of(store, user_id), name, layout.fingerprint)
    profile = Profile(layout.fingerprint, layout, utc_now_iso(), name)
    table.save(
        store,
        user_id,
        table.StoredProfile(
            profile.profile_id, json.dumps(layout.to_dict()), profile.saved_at, profile.name
        ),
    )
    return profile


def _check_free(profiles: Sequence[Profile], name: str, profile_id: str) -> None:
    for other in profiles:
        if other.name == name and other.profile_id != profile_id:
            raise Conflict(
                f"the profile name {name!r} is taken by profile {other.profile_id}: choose "
                "another, or rename that one first"
            )


def name_profile(store: Store, user_id: str, wanted: str, name: str) -> Profile:
    """Give the profile `wanted` (an id or a name) the name `name`."""
    profiles = profiles_of(store, user_id)
    profile = chosen(profiles, wanted)
    _check_free(profiles, name, profile.profile_id)
    if not table.rename(store, user_id, profile.profile_id, name):
        raise NotFound(f"the import profile {wanted!r} was removed meanwhile")
    return Profile(profile.profile_id, profile.layout, profile.saved_at, name)


def remove_profile(store: Store, user_id: str, wanted: str) -> Profile:
    """Forget the profile `wanted` (an id or a name); the next file like it is detected."""
    profile = chosen(profiles_of(store, user_id), wanted)
    if not table.remove(store, user_id, profile.profile_id):
        raise NotFound(f"the import profile {wanted!r} was removed meanwhile")
    return profile
