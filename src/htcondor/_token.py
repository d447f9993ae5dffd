"""IDTOKENS: :class:`Token` (write one where HTCondor's tools look) and :class:`TokenRequest`.

An HTCondor *IDTOKEN* is a signed JWT that a client presents to a daemon
to authenticate.  :meth:`Token.write` stores one as HTCondor does -- a
plain file, mode 0600, in ``SEC_TOKEN_DIRECTORY`` (by default
``~/.condor/tokens.d``, created with mode 0700) -- so a token obtained
elsewhere can be installed for a real pool's tools.

This project's daemons authenticate nobody: they listen on 127.0.0.1 and
know the peer's user from the kernel.  They issue no tokens, so
:meth:`TokenRequest.submit` raises :class:`~htcondor.HTCondorIOError`, as
the official call does when the daemon cannot be reached or refuses.

>>> import htcondor, os, tempfile
>>> directory = tempfile.mkdtemp()
>>> htcondor.param["SEC_TOKEN_DIRECTORY"] = directory
>>> htcondor.Token("eyJhbGciOiJIUzI1NiJ9.e30.c2ln").write("example")
>>> open(os.path.join(directory, "example")).read()
'eyJhbGciOiJIUzI1NiJ9.e30.c2ln\\n'
>>> htcondor.reload_config()
"""

from __future__ import annotations

import os
import sys

import classad

from ._errors import HTCondorEnumError, HTCondorIOError, HTCondorValueError

__all__ = ["Token", "TokenRequest", "token_directory"]

_DAEMON_AD_TYPES = {"master", "machine", "startd", "slot", "scheduler", "schedd", "collector", "negotiator",
                    "credd", "generic", "had"}


def token_directory() -> str:
    """Where :meth:`Token.write` puts tokens: ``SEC_TOKEN_DIRECTORY``, else ``~/.condor/tokens.d``.

    ``SEC_TOKEN_SYSTEM_DIRECTORY`` is used when there is no home directory.

    >>> import htcondor
    >>> htcondor.param["SEC_TOKEN_DIRECTORY"] = "/somewhere/tokens.d"
    >>> token_directory()
    '/somewhere/tokens.d'
    >>> htcondor.reload_config()
    """
    import htcondor

    configured = htcondor.param.get("SEC_TOKEN_DIRECTORY")
    if configured:
        return str(configured)
    home = os.path.expanduser("~")
    if home and home != "~":
        return os.path.join(home, ".condor", "tokens.d")
    return str(htcondor.param.get("SEC_TOKEN_SYSTEM_DIRECTORY") or "")


class Token:
    """An IDTOKEN: the text of a signed token, which :meth:`write` installs for HTCondor's tools.

    Parameters
    ----------
    contents:
        The token (a JWT: three base64url parts joined by dots).

    Raises
    ------
    TypeError
        When ``contents`` is not a string.

    >>> import htcondor
    >>> htcondor.Token("a.b.c").write("")   # an empty name prints the token
    a.b.c
    """

    def __init__(self, contents: str) -> None:
        if not isinstance(contents, str):
            raise TypeError(f"Token() argument must be str, not {type(contents).__name__}")
        self._contents = contents

    def __reduce__(self) -> tuple:
        return (Token, (self._contents,))

    def write(self, tokenfile: object = None) -> None:
        """Write the token, followed by a newline, to ``tokenfile`` in the token directory (mode 0600).

        Parameters
        ----------
        tokenfile:
            A plain file name (no directory part); ``str()`` of other values is used.
            None (the default) means ``python_generated_tokens``; an empty name
            prints the token to standard output instead.

        Raises
        ------
        HTCondorValueError
            When the name has a directory part (the official call logs this and
            returns; see docs/differences.md).
        HTCondorIOError
            When the file cannot be written.
        """
        name = "python_generated_tokens" if tokenfile is None else str(tokenfile)
        if not name:
            sys.stdout.write(self._contents + "\n")
            return
        if os.path.basename(name) != name or name in (".", ".."):
            raise HTCondorValueError(f"Token name isn't a plain filename: {name!r}")
        directory = token_directory()
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            path = os.path.join(directory, name)
            fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(self._contents + "\n")
        except OSError as e:
            raise HTCondorIOError(f"Cannot write token to {os.path.join(directory, name)}: {e.strerror} "
                                  f"(errno={e.errno})") from None


class TokenRequest:
    """A request to a daemon for a new IDTOKEN, approved by the daemon's administrator.

    Parameters
    ----------
    identity:
        The identity the token should carry; empty for the ``condor`` user.
    bounding_set:
        Authorizations the token is limited to (``["READ", "WRITE"]``); None for no limit.
    lifetime:
        Seconds the token should be valid; -1 for the daemon's maximum.

    Raises
    ------
    AttributeError
        When ``bounding_set`` is not iterable (as in the official module).
    TypeError
        When ``lifetime`` is not an int.

    This project's daemons issue no tokens (they need none: see the module
    documentation), so :meth:`submit` raises :class:`~htcondor.HTCondorIOError`.

    >>> import htcondor
    >>> request = htcondor.TokenRequest("alice", ["READ"], 3600)
    >>> try:
    ...     request.request_id
    ... except htcondor.HTCondorIOError as e:
    ...     print(e)
    Request ID requested prior to submitting request!
    """

    def __init__(self, identity: object = "", bounding_set: object = None, lifetime: int = -1) -> None:
        if isinstance(lifetime, bool) or not isinstance(lifetime, int):
            raise TypeError(f"lifetime must be an int, not {type(lifetime).__name__}")
        self._identity = str(identity)
        if bounding_set is not None and not hasattr(bounding_set, "__iter__"):
            # the official constructor fails the same way on a non-iterable
            raise AttributeError(f"'{type(bounding_set).__name__}' object has no attribute '__iter__'")
        self._bounding_set = [] if bounding_set is None else [str(item) for item in bounding_set]
        self._lifetime = lifetime
        self._request_id = ""

    @property
    def request_id(self) -> str:
        """The request's id at the daemon, to quote to its administrator.

        Raises
        ------
        HTCondorIOError
            Before :meth:`submit` succeeded.
        """
        if not self._request_id:
            raise HTCondorIOError("Request ID requested prior to submitting request!")
        return self._request_id

    def submit(self, ad: classad.ClassAd | None = None) -> None:
        """Send the request to the daemon ``ad`` describes (by default the pool's collector).

        Parameters
        ----------
        ad:
            The daemon's ad (with ``MyType`` and ``MyAddress``), or None.

        Raises
        ------
        HTCondorIOError
            Always in this project's pools: their daemons issue no tokens.
        HTCondorValueError
            When ``ad`` has no ``MyType``.
        HTCondorEnumError
            When ``MyType`` is not a daemon's.
        """
        if ad is not None:
            if not isinstance(ad, classad.ClassAd):
                raise TypeError(f"ad must be a classad.ClassAd, not {type(ad).__name__}")
            my_type = ad.get("MyType")
            if not isinstance(my_type, str):
                raise HTCondorValueError("Daemon type not available in location ClassAd.")
            if my_type.lower() not in _DAEMON_AD_TYPES:
                raise HTCondorEnumError("Unknown daemon type.")
        raise HTCondorIOError("DAEMON:1:this pool's daemons issue no tokens: they authenticate local "
                              "users by their Unix identity and need none")

    def done(self) -> bool:
        """Whether the daemon has approved the request.

        Raises
        ------
        HTCondorIOError
            Before :meth:`submit` succeeded.
        """
        raise HTCondorIOError("DAEMON:1:Unable to set client ID.")

    def result(self, timeout: int = 0) -> Token:
        """Wait up to ``timeout`` seconds (0: without limit) for approval and return the token.

        Raises
        ------
        HTCondorIOError
            Before :meth:`submit` succeeded, or when the wait times out.
        """
        raise HTCondorIOError("Request has not been submitted to a remote daemon")
