"""The client's side of the schedd's user records (``Schedd.query_users``, ``enable_users``...).

See :mod:`htcondor._daemons._user_records` for what a record is.
"""

from __future__ import annotations

import classad

from ._errors import HTCondorIOError, HTCondorValueError

__all__ = ["user_names", "query_users", "act_on_users"]


def user_names(users) -> list[str]:
    """The names in a list of user names or of ClassAds holding ``User`` (the official module's two forms)."""
    if not isinstance(users, list):
        raise TypeError("users must be a list of strings or ClassAds")
    names = []
    for user in users:
        if isinstance(user, str):
            names.append(user)
        elif isinstance(user, classad.ClassAd):
            name = user.get("User")
            if not isinstance(name, str):
                raise HTCondorValueError("user ads must have a User string attribute")
            names.append(name)
        else:
            raise HTCondorValueError("users must a list of strings or classads")
    return names


def query_users(connection, constraint: str, projection: list, limit: int) -> list[classad.ClassAd]:
    return list(connection.stream("QUERY_USER_ADS", {"constraint": constraint or "true",
                                                      "projection": list(projection or []), "limit": int(limit)}))


def act_on_users(connection, command: str, args: dict) -> classad.ClassAd:
    """ENABLE_USERS or DISABLE_USERS; the schedd's result ad (``NumAds``, ``Result``, ``ErrorString``)."""
    try:
        reply = connection.request(command, args)
    except HTCondorIOError as e:
        raise HTCondorIOError(f"Failed to fetch ads from schedd, errmsg={e}") from None
    return classad.ClassAd({k: v for k, v in reply.items() if k in ("NumAds", "Result", "ErrorString")})
