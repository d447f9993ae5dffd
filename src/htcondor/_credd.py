"""The client of a credential daemon (*condor_credd*): :class:`Credd`, :class:`CredCheck`, :class:`CredStatus`.

A *condor_credd* keeps users' credentials -- a Windows password, a
Kerberos ticket, OAuth tokens per service -- so that jobs can be given
them.  This project's pools run no credd (``DAEMON_LIST`` has no
``CREDD``) and no credential monitor, so, as the official module does when
it cannot reach one, every call that needs the daemon raises
:class:`~htcondor.HTCondorIOError`; the message says why.  The arguments
are checked first, in the official order and with the official messages,
so mistakes show up the same way.

>>> import htcondor
>>> credd = htcondor.Credd()
>>> try:
...     credd.add_password("")
... except htcondor.HTCondorValueError as e:
...     print(e)
password may not be empty
>>> credd.check_user_service_creds(htcondor.CredTypes.OAuth, []).present
True
"""

from __future__ import annotations

import base64
import getpass
import subprocess

import classad

from ._enums import DaemonTypes, HTCondorEnum, add_tables
from ._errors import HTCondorEnumError, HTCondorException, HTCondorIOError, HTCondorValueError

__all__ = ["CredTypes", "Credd", "CredCheck", "CredStatus"]


@add_tables
class CredTypes(HTCondorEnum):
    """The kinds of credential a *condor_credd* stores (the numbers are HTCondor's ``STORE_CRED_USER_*`` modes).

    >>> import htcondor
    >>> int(htcondor.CredTypes.OAuth), str(htcondor.CredTypes.Kerberos)
    (40, 'Kerberos')
    """

    Password = 36
    Kerberos = 32
    OAuth = 40


# the official ``mode`` bits that travel with a request
_LEGACY_PASSWORD = 0x100  # STORE_CRED_LEGACY_PWD: a password for the whole pool's legacy protocol
_ADD, _DELETE, _QUERY = 0, 1, 2

_NO_CREDD = "no condor_credd runs in this pool"


class CredStatus:
    """What a credd knows of one stored service credential: :meth:`Credd.query_user_service_cred` returns it.

    ``str()`` gives the credd's reply ad in the old ClassAd syntax.  Objects
    cannot be made directly.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("This class cannot be instantiated from Python")

    @classmethod
    def _create(cls, ad: classad.ClassAd) -> CredStatus:
        self = object.__new__(cls)
        self._ad = ad
        return self

    def __str__(self) -> str:
        return self._ad.printOld()


class CredCheck:
    """The result of :meth:`Credd.check_user_service_creds`: are the OAuth tokens there, and if not, where to get them.

    True in a boolean context when every requested credential is present.
    Objects cannot be made directly.

    >>> import htcondor
    >>> check = htcondor.Credd().check_user_service_creds(htcondor.CredTypes.OAuth, [])
    >>> bool(check), check.services, check.url, check.error
    (True, '', None, None)
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("This class cannot be instantiated from Python")

    @classmethod
    def _create(cls, services: str, url: str) -> CredCheck:
        self = object.__new__(cls)
        self._services, self._url = services, url
        return self

    @staticmethod
    def _is_url(text: str) -> bool:
        scheme, sep, rest = text.partition("://")
        return bool(sep and scheme and rest and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum())

    @property
    def present(self) -> bool:
        """True when the credentials are all stored (or none were asked for)."""
        return not self._url

    @property
    def services(self) -> str:
        """The requested services, comma-separated (``service*handle`` for a handle), like ``OAuthServicesNeeded``."""
        return self._services

    @property
    def url(self) -> str | None:
        """The address to visit to acquire the missing credentials, or None."""
        return self._url if self._url and self._is_url(self._url) else None

    @property
    def error(self) -> str | None:
        """The credd's message when credentials are missing and it could not make a URL, or None."""
        return self._url if self._url and not self._is_url(self._url) else None

    def __bool__(self) -> bool:
        return self.present

    def __str__(self) -> str:
        return self._url or self._services


def _credtype(credtype: object, allowed: tuple[CredTypes, ...]) -> int:
    if isinstance(credtype, bool) or not isinstance(credtype, int):
        raise TypeError(f"credtype must be an int or htcondor.CredTypes, not {type(credtype).__name__}")
    if int(credtype) not in [int(t) for t in allowed]:
        raise HTCondorEnumError("invalid credtype")
    return int(credtype)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _credential(credential: object, producer_knob: str) -> bytes:
    """The credential's bytes: a bytes-like object, or the output of the configured producer for None."""
    if credential is None:
        import htcondor

        producer = htcondor.param.get(producer_knob)
        if not producer:
            raise HTCondorValueError("credential may not be empty")
        if str(producer).upper() == "CREDENTIAL_ALREADY_STORED":
            raise HTCondorIOError(str(producer))
        try:
            done = subprocess.run([str(producer)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise HTCondorIOError("credential producer did not exit") from None
        except OSError:
            raise HTCondorIOError("could not run credential producer") from None
        if done.returncode:
            raise HTCondorIOError("credential producer non-zero exit code")
        if not done.stdout:
            raise HTCondorIOError("credential producer did not produce a credential")
        return done.stdout
    try:
        data = bytes(memoryview(credential))
    except TypeError:
        raise HTCondorValueError("credential not in usable format for python bindings") from None
    if not data:
        raise HTCondorValueError("credential may not be empty")
    return data


def _service_ad(service: str, handle: str, required: bool) -> dict[str, str]:
    ad: dict[str, str] = {}
    if service:
        ad["service"] = service
        if handle:
            ad["handle"] = handle
    elif handle or required:
        # a handle needs a service
        raise HTCondorValueError("invalid service arg")
    return ad


class Credd:
    """A client of a credential daemon (*condor_credd*), which stores users' passwords, Kerberos and OAuth credentials.

    Parameters
    ----------
    ad:
        A :class:`~classad.ClassAd` (with ``MyAddress``) or a ``DaemonLocation``
        naming the credd; None (the default) for the local one, located when
        a method needs it.

    Raises
    ------
    HTCondorValueError
        For an argument that is neither.

    Every method checks its arguments, then needs the daemon: in this
    project's pools, which run no credd, that raises
    :class:`~htcondor.HTCondorIOError` (``Communication error``, with the
    reason in parentheses).

    >>> import htcondor
    >>> htcondor.Credd().location.daemon_type
    htcondor.htcondor.DaemonTypes.Credd
    """

    def __init__(self, ad: object = None) -> None:
        from ._schedd import DaemonLocation

        self._address, self._version = "", ""
        if ad is None:
            return
        if isinstance(ad, DaemonLocation):
            self._address, self._version = str(ad.address or ""), str(ad.version or "")
        elif isinstance(ad, classad.ClassAd):
            address, version = ad.get("MyAddress"), ad.get("CondorVersion")
            self._address = address if isinstance(address, str) else ""
            self._version = version if isinstance(version, str) else ""
        else:
            raise HTCondorValueError("Unknown type")

    @property
    def location(self):
        """Where the credd is, as a ``DaemonLocation`` (an empty address for the local one)."""
        from ._schedd import DaemonLocation

        return DaemonLocation(DaemonTypes.Credd, self._address, self._version)

    # -- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _user(user: object, legacy: bool) -> str:
        user = _text(user, "user")
        if not user:
            if not legacy:
                return ""
            import htcondor

            domain = htcondor.param.get("UID_DOMAIN") or ""
            user = f"{getpass.getuser()}@{domain}"
        if len(user) < 2:
            raise HTCondorValueError("invalid user argument")
        return user

    def _daemon_address(self, what: str = "Communication error") -> str:
        if self._address:
            return self._address
        from ._collector import local_daemon_address

        address = local_daemon_address("CREDD")
        if address is None:
            raise HTCondorIOError(f"{what} ({_NO_CREDD})")
        return address

    def _send(self, mode: int, user: str, credential: bytes | None = None,
              service: dict[str, str] | None = None) -> dict:
        address = self._daemon_address()
        from ._client import call

        args: dict[str, object] = {"mode": mode, "user": user, "service": service or {}}
        if credential is not None:
            args["credential"] = base64.b64encode(credential).decode("ascii")
        try:
            return call(address, "STORE_CRED", args)
        except HTCondorException as e:
            raise HTCondorIOError(f"Communication error ({e})") from None
        except OSError as e:
            raise HTCondorIOError(f"Communication error ({e.strerror or e})") from None

    # -- passwords --------------------------------------------------------------------------

    def add_password(self, password: str, user: str = "") -> None:
        """Store a password for the current user (or for ``user``).

        Parameters
        ----------
        password:
            The password; not empty.
        user:
            ``name@domain``; the current user by default.

        Raises
        ------
        HTCondorValueError
            For an empty password or an invalid user.
        HTCondorIOError
            When the credd cannot be reached or refuses.
        """
        password = _text(password, "password")
        if not password:
            raise HTCondorValueError("password may not be empty")
        name = self._user(user, legacy=True)
        self._send(_LEGACY_PASSWORD | _ADD, name, password.encode())

    def delete_password(self, user: str = "") -> None:
        """Delete the stored password of the current user (or of ``user``); no error when there is none.

        Raises
        ------
        HTCondorValueError
            For an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        self._send(_LEGACY_PASSWORD | _DELETE, self._user(user, legacy=True))

    def query_password(self, user: str = "") -> bool:
        """Whether a password is stored for the current user (or for ``user``).

        Raises
        ------
        HTCondorValueError
            For an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        reply = self._send(_LEGACY_PASSWORD | _QUERY, self._user(user, legacy=True))
        return bool(reply.get("present"))

    # -- one credential per type ------------------------------------------------------------

    def add_user_cred(self, credtype: int, credential: object, user: str = "") -> None:
        """Store a Password or Kerberos credential for the current user (or for ``user``).

        Parameters
        ----------
        credtype:
            :attr:`CredTypes.Password` or :attr:`CredTypes.Kerberos`.
        credential:
            The credential's bytes; None runs ``SEC_CREDENTIAL_PRODUCER`` for them.
        user:
            Whose credential; the current user by default.

        Raises
        ------
        HTCondorEnumError
            For another credential type.
        HTCondorValueError
            For an empty or non-bytes credential or an invalid user.
        HTCondorIOError
            When the producer fails or the credd cannot be reached.
        """
        mode = _credtype(credtype, (CredTypes.Password, CredTypes.Kerberos))
        data = _credential(credential, "SEC_CREDENTIAL_PRODUCER")
        self._send(mode | _ADD, self._user(user, legacy=False), data)

    def delete_user_cred(self, credtype: int, user: str = "") -> None:
        """Delete the current user's (or ``user``'s) credential of type ``credtype``.

        Raises
        ------
        HTCondorEnumError
            For a value that is not a :class:`CredTypes`.
        HTCondorValueError
            For an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        mode = _credtype(credtype, tuple(CredTypes))
        self._send(mode | _DELETE, self._user(user, legacy=False))

    def query_user_cred(self, credtype: int, user: str = "") -> int | None:
        """When the current user's (or ``user``'s) credential of type ``credtype`` was stored (a Unix time), or None.

        Raises
        ------
        HTCondorEnumError
            For a value that is not a :class:`CredTypes`.
        HTCondorValueError
            For an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        mode = _credtype(credtype, tuple(CredTypes))
        reply = self._send(mode | _QUERY, self._user(user, legacy=False))
        return reply.get("time")

    # -- OAuth credentials per service ------------------------------------------------------

    def add_user_service_cred(self, credtype: int, credential: object, service: str, handle: str = "",
                              user: str = "") -> None:
        """Store an OAuth credential for ``service`` (and ``handle``) for the current user (or for ``user``).

        Parameters
        ----------
        credtype:
            :attr:`CredTypes.OAuth`.
        credential:
            The token's bytes; None runs ``SEC_CREDENTIAL_PRODUCER_OAUTH_<service>``.
        service:
            The service name.
        handle:
            Tells several credentials of one service apart.
        user:
            Whose credential; the current user by default.

        Raises
        ------
        HTCondorEnumError
            For another credential type.
        HTCondorValueError
            For an empty credential, a handle without a service, or an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        mode = _credtype(credtype, (CredTypes.OAuth,))
        service, handle = _text(service, "service"), _text(handle, "handle")
        data = _credential(credential, f"SEC_CREDENTIAL_PRODUCER_OAUTH_{service}")
        ad = _service_ad(service, handle, required=False)
        self._send(mode | _ADD, self._user(user, legacy=False), data, ad)

    def delete_user_service_cred(self, credtype: int, service: str, handle: str = "", user: str = "") -> None:
        """Delete the current user's (or ``user``'s) OAuth credential for ``service`` (and ``handle``).

        Raises
        ------
        HTCondorEnumError
            For another credential type.
        HTCondorValueError
            For an empty service or an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        mode = _credtype(credtype, (CredTypes.OAuth,))
        ad = _service_ad(_text(service, "service"), _text(handle, "handle"), required=True)
        self._send(mode | _DELETE, self._user(user, legacy=False), None, ad)

    def query_user_service_cred(self, credtype: int, service: str, handle: str = "", user: str = "") -> CredStatus:
        """What the credd holds for the current user's (or ``user``'s) OAuth credential for ``service``.

        Raises
        ------
        HTCondorEnumError
            For another credential type.
        HTCondorValueError
            For a handle without a service or an invalid user.
        HTCondorIOError
            When the credd cannot be reached.
        """
        mode = _credtype(credtype, (CredTypes.OAuth,))
        ad = _service_ad(_text(service, "service"), _text(handle, "handle"), required=False)
        reply = self._send(mode | _QUERY, self._user(user, legacy=False), None, ad)
        return CredStatus._create(classad.ClassAd(reply.get("ad") or {}))

    def check_user_service_creds(self, credtype: int, services: list, user: str = "") -> CredCheck:
        """Whether the current user (or ``user``) has the OAuth credentials ``services`` ask for.

        Parameters
        ----------
        credtype:
            :attr:`CredTypes.OAuth`.
        services:
            A list of ClassAds, each with ``Service`` (and optionally ``Handle``,
            ``Scopes``, ``Audience``), as ``Submit`` builds them.
        user:
            Whose credentials; the current user by default.

        Returns
        -------
        CredCheck
            Present at once for an empty list.

        Raises
        ------
        HTCondorEnumError
            For another credential type.
        HTCondorValueError
            For an element that is not a ClassAd or has no ``Service``.
        HTCondorIOError
            When the credd cannot be located.
        """
        _credtype(credtype, (CredTypes.OAuth,))
        if not isinstance(services, list):
            raise TypeError(f"services must be a list, not {type(services).__name__}")
        names: set[str] = set()
        for request in services:
            if not isinstance(request, classad.ClassAd):
                raise HTCondorValueError("service must be of type classad.ClassAd")
            name = request.get("Service")
            if not isinstance(name, str):
                raise HTCondorValueError("request has no 'Service' attribute")
            handle = request.get("Handle")
            names.add(f"{name}*{handle}" if isinstance(handle, str) and handle else name)
        self._user(user, legacy=False)
        if not services:
            return CredCheck._create("", "")
        self._daemon_address("could not locate CredD")
        # a credd to ask exists only outside this project's pools
        raise HTCondorIOError("communication failure (this client cannot check OAuth credentials)")
