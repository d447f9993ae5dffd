"""The :class:`Submit` class: a submit description, as a dict and as a source of job ads."""

from __future__ import annotations

import collections.abc
import getpass
from collections.abc import Iterator, MutableMapping

import classad

from ._errors import HTCondorInternalError, HTCondorIOError, HTCondorTypeError, HTCondorValueError
from ._macros import MacroError
from ._submit_ads import oauth_request, oauth_service_names
from ._submit_hash import MacroContext, SubmitTable, config_str, expand_self
from ._submit_jobs import SubmitJobsIterator, make_foreach
from ._submit_parse import parse_submit, queue_arguments
from ._submit_queue import QueueError, split_item

__all__ = ["Submit", "QueueItemsIterator", "SubmitJobsIterator"]

_JSM_PYTHON_BINDINGS = 2
_JSM_USER_SET = 100


def _plus_to_my(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"submit keys must be strings, not {type(key).__name__}")
    return "MY." + key[1:] if key.startswith("+") else key


def _submit_value(value) -> str:
    """The text a Python value becomes in a submit description."""
    if isinstance(value, str):
        return value
    if value is None:
        return "undefined"
    if isinstance(value, classad.ExprTree):
        return str(value)
    if isinstance(value, classad.ClassAd):
        return repr(value)
    return str(value)


class QueueItemsIterator:
    """An iterator over the items of a queue statement (from :meth:`Submit.itemdata`).

    Each item is a ``str`` when the statement uses the default ``Item``
    variable, else a ``dict`` of variable name to value.
    """

    def __init__(self, fea):
        self._fea = fea
        self._index = 0

    def __iter__(self) -> "QueueItemsIterator":
        return self

    def __next__(self):
        fea = self._fea
        row = fea.slice.translate(self._index, len(fea.items))
        if row is None:
            raise StopIteration
        self._index += 1
        line = fea.items[row]
        if len(fea.vars) > 1 or (len(fea.vars) == 1 and fea.vars[0].lower() != "item"):
            values = split_item(line, len(fea.vars), fea.table)
            return dict(zip(fea.vars, values))
        return line


class Submit(MutableMapping):
    """A job submit description, in the language of *condor_submit*.

    It holds ``name = value`` commands (names are case-insensitive, values
    are text) and an optional queue statement, and behaves as a ``dict``
    of them.  :meth:`jobs` turns it into the job ClassAds that
    *condor_submit* would make, without a schedd.

    Parameters
    ----------
    input:
        The text of a submit file (which may end with a ``queue``
        statement), or a ``dict`` of commands.  Keyword arguments add
        commands.  Values that are not strings are converted: an
        :class:`~classad.ExprTree` or ClassAd to its text, ``None`` to
        ``undefined``, anything else with ``str()``.  ``+Attr`` keys are
        stored as ``MY.Attr``.

    Raises
    ------
    HTCondorValueError
        When the text has a line that is not a command (the message names the line).
    HTCondorTypeError
        With more than one positional argument.

    Examples
    --------
    >>> import htcondor
    >>> sub = htcondor.Submit('''
    ... executable = /bin/echo
    ... arguments  = "hello $(Item)"
    ... +Project   = "demo"
    ... queue in (Alice, Bob)
    ... ''')
    >>> print(sub)
    executable = /bin/echo
    arguments = "hello $(Item)"
    MY.Project = "demo"
    queue in (Alice, Bob)
    >>> sub["ARGUMENTS"], sub.getQArgs()
    ('"hello $(Item)"', 'in (Alice, Bob)')
    >>> [(ad["ProcId"], ad["Arguments"], ad["Project"]) for ad in sub.jobs(clusterid=7)]
    [(0, 'hello Alice', 'demo'), (1, 'hello Bob', 'demo')]
    """

    def __init__(self, *args, **kwargs):
        if len(args) > 1:
            raise HTCondorTypeError("Keyword constructor cannot take more than one positional argument")
        self._table = SubmitTable()
        self._qargs = ""
        self._remainder: str | None = None
        self._submit_method = _JSM_PYTHON_BINDINGS
        if args and args[0] is not None:
            source = args[0]
            if isinstance(source, str):
                self._parse(source)
            else:
                self.update(dict(source))
        self.update(kwargs)

    def _parse(self, text: str) -> None:
        if not text:
            return
        qargs, rest = parse_submit(text, self._table)
        if qargs is not None:
            self._qargs = qargs
            self._remainder = rest

    # -- the dict protocol ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> str:
        key = _plus_to_my(key)
        value = self._table.raw(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value) -> None:
        key = _plus_to_my(key)
        value = _submit_value(value)
        # Like condor_submit, a command that refers to itself extends its previous value
        # (``sub["args"] = "$(args) -v"``); a reference to a command not yet defined is kept.
        old = self._table.raw(key)
        if old is not None:
            value = expand_self(key, value, old)
        self._table.set(key, value)

    def __delitem__(self, key: str) -> None:
        key = _plus_to_my(key)
        if not self._table.delete(key):
            raise KeyError(key)

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and _plus_to_my(key) in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.names())

    def __len__(self) -> int:
        return len(self._table)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The raw (unexpanded) value of a command, or ``default``.

        Parameters
        ----------
        key:
            The command name (case-insensitive; ``+Attr`` means ``MY.Attr``).
        default:
            What to return when the command is not defined.

        Returns
        -------
        str or None
            The value as written, macros unexpanded.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit({"executable": "/bin/echo", "+Tag": '"$(executable)"'})
        >>> sub.get("EXECUTABLE"), sub.get("+Tag"), sub.get("output", "none")
        ('/bin/echo', '"$(executable)"', 'none')
        """
        value = self._table.raw(_plus_to_my(key))
        return default if value is None else value

    def setdefault(self, key: str, default) -> str:
        """The raw value of a command, first setting it to ``default`` when it is not defined.

        Parameters
        ----------
        key:
            The command name (``+Attr`` means ``MY.Attr``).
        default:
            The value to set; converted to text as by the constructor.

        Returns
        -------
        str
            The command's value (``default``'s text when it was just set).

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit(output="out.txt")
        >>> sub.setdefault("output", "other.txt"), sub.setdefault("error", None)
        ('out.txt', 'undefined')
        """
        key = _plus_to_my(key)
        value = self._table.raw(key)
        if value is None:
            value = _submit_value(default)
            self._table.set(key, value)
        return value

    def keys(self) -> list[str]:  # type: ignore[override]
        """The command names, in the order they were first defined, as first spelled.

        Returns
        -------
        list[str]
            ``+Attr`` commands appear as ``MY.Attr``.

        Examples
        --------
        >>> import htcondor
        >>> htcondor.Submit("Executable = /bin/true\\n+Tag = 1\\nexecutable = /bin/echo").keys()
        ['Executable', 'MY.Tag']
        """
        return self._table.names()

    def values(self) -> list[str]:  # type: ignore[override]
        """The raw (unexpanded) values, in the order of :meth:`keys`.

        Returns
        -------
        list[str]

        Examples
        --------
        >>> import htcondor
        >>> htcondor.Submit("n = 2\\nargs = $(n)").values()
        ['2', '$(n)']
        """
        return [value for _, value in self._table.items()]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        """``(name, raw value)`` pairs, in the order of :meth:`keys`.

        Returns
        -------
        list[tuple[str, str]]

        Examples
        --------
        >>> import htcondor
        >>> htcondor.Submit("n = 2\\nargs = $(n)").items()
        [('n', '2'), ('args', '$(n)')]
        """
        return self._table.items()

    def update(self, source=(), /, **kwargs) -> None:  # type: ignore[override]
        """Add commands from a mapping or an iterable of pairs (and keyword arguments).

        As with ``sub[key] = value``, a value that refers to its own command
        (``$(key)``) extends the command's previous value.

        Parameters
        ----------
        source:
            A mapping, or an iterable of ``(name, value)`` pairs.  Values are
            converted to text as by the constructor.
        kwargs:
            More commands.

        Raises
        ------
        HTCondorTypeError
            When ``source`` is neither a mapping nor iterable.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit(executable="/bin/echo", arguments="-n")
        >>> sub.update({"arguments": "$(arguments) hello"}, request_cpus=2)
        >>> sub.items()
        [('executable', '/bin/echo'), ('arguments', '-n hello'), ('request_cpus', '2')]
        """
        if hasattr(source, "items"):
            pairs = source.items()
        elif isinstance(source, collections.abc.Iterable):
            pairs = source
        else:
            raise HTCondorTypeError("Must provide a dictionary-like object to update()")
        for key, value in pairs:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def __eq__(self, other) -> bool:
        return self is other

    __hash__ = object.__hash__

    # -- text -------------------------------------------------------------------------------------------

    def __str__(self) -> str:
        text = "".join(f"{name} = {value}\n" for name, value in self._table.items())
        if self._qargs:
            text += "queue " + self._qargs
        return text

    def __repr__(self) -> str:
        return repr(str(self))

    # -- macros -----------------------------------------------------------------------------------------

    def expand(self, attr: str) -> str:
        """The value of ``attr`` with every macro expanded.

        Parameters
        ----------
        attr:
            A command name (``+Attr`` means ``MY.Attr``).

        Returns
        -------
        str
            The expanded value.  ``$(Cluster)`` is 1 and ``$(Process)`` 0
            here; ``$$(Attr)`` references are kept for match time.

        Raises
        ------
        RuntimeError
            When ``attr`` is not defined or expands to nothing.
        HTCondorValueError
            When a macro cannot be expanded (a bad ``$INT()`` argument, a cycle).

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit({"x": "5", "y": "$(x)0", "z": "$INT(y,%03d) $(undefined:dflt) $$(Memory)"})
        >>> sub.expand("z")
        '050 dflt $$(Memory)'
        """
        ctx = MacroContext(self._table)
        try:
            value = ctx.expand(_plus_to_my(attr))
        except MacroError as e:
            raise HTCondorValueError(f"{e} (in the value of {attr})") from None
        if value is None:
            raise RuntimeError(f"{attr} is not defined, or expands to nothing")
        return value

    # -- the queue statement --------------------------------------------------------------------------

    def getQArgs(self) -> str:
        """The arguments of the queue statement (the text after ``queue``).

        Returns
        -------
        str
            The arguments as written ("" without a queue statement, or for a
            bare ``queue``); for a list continued on the following lines,
            only its first line.

        Examples
        --------
        >>> import htcondor
        >>> htcondor.Submit("executable = /bin/true\\nqueue 2 x in (a, b)").getQArgs()
        '2 x in (a, b)'
        >>> htcondor.Submit("executable = /bin/true\\nqueue from (\\n1\\n2\\n)").getQArgs()
        'from ('
        """
        return self._qargs

    def setQArgs(self, args: str) -> None:
        """Set the queue statement's arguments (a leading ``queue`` keyword is dropped).

        The statement is only checked when it is used (:meth:`itemdata`,
        :meth:`jobs`).

        Parameters
        ----------
        args:
            The new arguments, on one line; "" removes the queue statement.

        Raises
        ------
        HTCondorValueError
            When ``args`` contains a newline.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit("executable = /bin/true")
        >>> sub.setQArgs("queue 3"); sub.getQArgs()
        '3'
        >>> len(list(sub.jobs()))
        3
        """
        if not args:
            self._qargs = ""
            self._remainder = None
        if "\n" in args:
            raise HTCondorValueError("QArgs cannot contain a newline character")
        qargs = queue_arguments(args)
        if qargs is not None:
            self._qargs = qargs
            self._remainder = None
        elif args != self._qargs:
            self._qargs = args
            self._remainder = None

    def itemdata(self, qargs: str = "") -> QueueItemsIterator:
        """An iterator over the items of a queue statement.

        Parameters
        ----------
        qargs:
            A queue statement or its arguments; by default the description's own.

        Returns
        -------
        QueueItemsIterator
            ``str`` items for the default ``Item`` variable, else dicts.

        Raises
        ------
        HTCondorValueError
            For a queue statement that cannot be parsed.
        HTCondorInternalError
            When the items cannot be read (a missing file, a list without its ``)``).

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit("executable = /bin/echo\\nqueue in (a, b, c)")
        >>> list(sub.itemdata())
        ['a', 'b', 'c']
        >>> list(sub.itemdata("x, y from (1 one)"))
        [{'x': '1', 'y': 'one'}]
        """
        use_remainder = True
        if qargs:
            parsed = queue_arguments(qargs)
            text = parsed if parsed is not None else qargs
            use_remainder = False
        else:
            text = self._qargs
        ctx = MacroContext(self._table)
        try:
            fea = make_foreach(ctx, text, self._remainder if use_remainder else None)
        except QueueError as e:
            if e.stage == "parse":
                raise HTCondorValueError(str(e)) from None
            if str(e) == "inline items not available":
                raise HTCondorValueError(str(e)) from None
            raise HTCondorInternalError(str(e)) from None
        return QueueItemsIterator(fea)

    # -- job ads ----------------------------------------------------------------------------------------

    def _iterator(self, procs: bool, count: int, itemdata, clusterid: int, procid: int, qdate: int,
                  owner: str) -> SubmitJobsIterator:
        if clusterid < 0 or procid < 0:
            raise HTCondorValueError("Job id out of range")
        if owner:
            if any(c in owner for c in " \t\n\r"):
                raise HTCondorValueError("Invalid characters in Owner")
        else:
            try:
                owner = getpass.getuser()
            except Exception:
                owner = "unknown"
        py_items = itemdata if isinstance(itemdata, collections.abc.Iterator) else None
        return SubmitJobsIterator(self._table, procs=procs, cluster=clusterid or 1, proc=procid, count=count,
                                  py_items=py_items, qargs="" if py_items is not None else self._qargs,
                                  inline_text=self._remainder, qdate=qdate, owner=owner,
                                  submit_method=_JSM_PYTHON_BINDINGS)

    def jobs(self, count: int = 0, itemdata=None, clusterid: int = 1, procid: int = 0, qdate: int = 0,
             owner: str = "") -> SubmitJobsIterator:
        """The job ClassAds this description makes, as *condor_submit* would make them.

        Parameters
        ----------
        count:
            Jobs per item when ``itemdata`` is given, or the number of jobs
            when the description has no queue statement (0 means 1).
            Ignored when the queue statement is used.
        itemdata:
            An *iterator* of items (strings, dicts of variable values, or
            lists) to use instead of the queue statement's.
        clusterid, procid:
            The ``ClusterId`` and first ``ProcId``.
        qdate:
            The submit time (``QDate``, ``$(SUBMIT_TIME)``); 0 means now.
        owner:
            The submitting user (for the accounting group); default: the current user.

        Returns
        -------
        SubmitJobsIterator
            Yields one complete :class:`~classad.ClassAd` per job.

        Raises
        ------
        HTCondorValueError
            For a bad job id or owner, or a queue statement that cannot be used.
        HTCondorInternalError
            While iterating, for a description that cannot make a job
            (no executable, an unknown universe, a bad expression ...).

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit("executable = /bin/sleep\\narguments = $(Process)0\\nrequest_memory = 2G\\nqueue 2")
        >>> for ad in sub.jobs(clusterid=42, qdate=1700000000):
        ...     print(ad["ClusterId"], ad["ProcId"], ad["Args"], ad["RequestMemory"], ad["JobStatus"])
        42 0 00 2048 1
        42 1 10 2048 1
        """
        return self._iterator(False, count, itemdata, clusterid, procid, qdate, owner)

    def procs(self, count: int = 0, itemdata=None, clusterid: int = 1, procid: int = 0, qdate: int = 0,
              owner: str = "") -> SubmitJobsIterator:
        """Like :meth:`jobs`, but only the first ad is complete; later ones hold what differs from it.

        The later ads always hold ``ProcId`` and ``JobStatus``; the full ad of
        a job is the first ad updated with its own.

        Parameters
        ----------
        count, itemdata, clusterid, procid, qdate, owner:
            As for :meth:`jobs`.

        Returns
        -------
        SubmitJobsIterator
            Yields one :class:`~classad.ClassAd` per job.

        Raises
        ------
        HTCondorValueError, HTCondorInternalError
            As for :meth:`jobs`.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit("executable = /bin/echo\\narguments = $(Process)\\nqueue 2")
        >>> ads = list(sub.procs())
        >>> len(ads[0]) > 40, sorted(ads[1].keys())
        (True, ['Args', 'JobStatus', 'ProcId'])
        """
        return self._iterator(True, count, itemdata, clusterid, procid, qdate, owner)

    # -- credentials ------------------------------------------------------------------------------------

    @property
    def oauth_services(self) -> list[classad.ClassAd]:
        """The OAuth tokens the jobs need, as request ads for the credd (a read-only property).

        ``use_oauth_services`` lists the services.  Each service makes one
        ad with ``Service``, and ``Scopes``, ``Audience`` and ``Options``
        from its ``<service>_oauth_permissions``, ``<service>_oauth_resource``
        and ``<service>_oauth_options`` commands (else from the
        configuration's ``<SERVICE>_DEFAULT_SCOPES``, ``_AUDIENCE``,
        ``_OPTIONS``).  Those commands with a ``_<handle>`` suffix ask for
        a separate token, whose ad also has ``Handle``.  The list is
        sorted by service name; it is empty without ``use_oauth_services``.

        Returns
        -------
        list[classad.ClassAd]
            One ad per token; a new list on every read.

        Raises
        ------
        HTCondorIOError
            When the configuration requires a field (``<SERVICE>_USER_DEFINE_SCOPES``
            and the like start with ``R``) that the description does not set;
            the message names the command to add.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit(use_oauth_services="scitokens, box", box_oauth_permissions_work="read",
        ...                       scitokens_oauth_resource="https://example.org")
        >>> for ad in sub.oauth_services:
        ...     print(ad["Service"], ad.get("Handle"), ad.get("Scopes"), ad.get("Audience"))
        box work read None
        scitokens None None https://example.org
        >>> htcondor.Submit(executable="/bin/true").oauth_services
        []
        """
        ctx = MacroContext(self._table)

        def param(name: str) -> str | None:
            try:
                return ctx.expand(name)
            except MacroError as e:
                raise HTCondorValueError(f"{e} (in the value of {name})") from None

        wanted = param("use_oauth_services") or param("UseOAuthServices")
        if not wanted:
            return []
        # The credd-facing list follows the order the commands were defined in.
        requests = []
        for name in oauth_service_names(wanted, self._table.names()):
            try:
                request = oauth_request(name, param, config_str)
            except ValueError as e:
                raise HTCondorIOError(str(e)) from None
            requests.append(classad.ClassAd(request))
        return requests

    # -- submit method ------------------------------------------------------------------------------------

    @staticmethod
    def from_dag(filename: str, options: dict | None = None) -> "Submit":
        """The submit description of the DAGMan job that runs the DAG file ``filename``.

        This is the first half of ``condor_submit_dag``: it writes
        ``<filename>.condor.sub`` and returns the same description as a
        :class:`Submit`, ready for :meth:`Schedd.submit`.  The job runs in the
        scheduler universe; its executable is ``condor_dagman`` (found on
        ``PATH`` or beside the Python interpreter), this package's DAGMan.
        The DAG's files are named after ``filename``: ``.dagman.out`` (DAGMan's
        diary), ``.nodes.log``, ``.dagman.log`` (the DAGMan job's own events),
        ``.lib.out``/``.lib.err``, ``.lock`` and ``.rescueNNN``.

        Parameters
        ----------
        filename:
            The DAG file.
        options:
            ``condor_submit_dag`` options, keys in any case: ``dagman`` (str, the
            DAGMan program), ``force`` (bool: overwrite the ``.condor.sub``),
            ``maxidle``, ``maxjobs``, ``MaxPre``, ``MaxPost``, ``debug``,
            ``priority``, ``AutoRescue``, ``DoRescueFrom`` (int),
            ``AlwaysRunPost``, ``UseDagDir``, ``DoRecov``, ``DumpRescue``,
            ``AllowVersionMismatch``, ``do_recurse``, ``update_submit``,
            ``import_env``, ``suppress_notification``, ``valgrind`` (bool),
            ``outfile_dir``, ``config``, ``batch-name``, ``load_save``,
            ``include_env``, ``insert_env``, ``schedd-address-file`` (str).  An
            unknown option is skipped with a warning on standard error.

        Returns
        -------
        Submit
            The DAGMan job's description.

        Raises
        ------
        HTCondorIOError
            When the DAG file cannot be read, ``condor_dagman`` is not found, the
            ``.condor.sub`` exists without ``force``, a config file or the
            ``DoRescueFrom`` rescue DAG is missing.
        HTCondorTypeError
            For an option value of the wrong type.
        HTCondorInternalError
            For an option given ``None`` or a float.

        Examples
        --------
        >>> import htcondor, os, tempfile
        >>> dag_file = os.path.join(tempfile.mkdtemp(), "hello.dag")
        >>> _ = open(dag_file, "w").write("JOB A a.sub\\n")
        >>> sub = htcondor.Submit.from_dag(dag_file, {"dagman": "/usr/bin/condor_dagman", "maxjobs": 2})
        >>> sub["universe"], sub["log"] == dag_file + ".dagman.log"
        ('scheduler', True)
        >>> sub["arguments"].split(" -CsdVersion")[0].replace(dag_file, "hello.dag")
        '"-p 0 -f -l . -Lockfile hello.dag.lock -Dag hello.dag -MaxJobs 2'
        >>> sorted(os.listdir(os.path.dirname(dag_file)))
        ['hello.dag', 'hello.dag.condor.sub']
        """
        from ._dagman import dagman_submit_description

        if not isinstance(filename, str) or (options is not None and not isinstance(options, dict)):
            raise TypeError("from_dag() takes a file name (str) and an options dict")
        commands, _ = dagman_submit_description(filename, options or {})
        return Submit(dict(commands))

    def getSubmitMethod(self) -> int:
        """The submit method recorded for this description.

        Returns
        -------
        int
            2 (the Python bindings) unless :meth:`setSubmitMethod` changed it.

        Examples
        --------
        >>> import htcondor
        >>> htcondor.Submit("executable = /bin/true").getSubmitMethod()
        2
        """
        return self._submit_method

    def setSubmitMethod(self, method_value: int = -1, allow_reserved_values: bool = False) -> None:
        """Set the submit method, the ``JobSubmitMethod`` a schedd submission records.

        The ads of :meth:`jobs` and :meth:`procs` keep ``JobSubmitMethod = 2``,
        as the official module's do.

        Parameters
        ----------
        method_value:
            100 or more for a tool's own value; a negative value records none.
        allow_reserved_values:
            Allow the values HTCondor reserves for its tools (0 to 99).

        Raises
        ------
        HTCondorValueError
            For a reserved value without ``allow_reserved_values``.

        Examples
        --------
        >>> import htcondor
        >>> sub = htcondor.Submit("executable = /bin/true")
        >>> sub.setSubmitMethod(150); sub.getSubmitMethod()
        150
        >>> try:
        ...     sub.setSubmitMethod(5)
        ... except htcondor.HTCondorValueError as e:
        ...     print(e)
        Submit Method value must be 100 or greater. Or allow_reserved_values must be set to True.
        """
        if 0 <= method_value < _JSM_USER_SET and not allow_reserved_values:
            raise HTCondorValueError(f"Submit Method value must be {_JSM_USER_SET} or greater. "
                                     "Or allow_reserved_values must be set to True.")
        self._submit_method = method_value

    # -- queueing in a schedd transaction (deprecated in HTCondor 10.7) --------------------------------

    def queue(self, txn, count: int = 0, ad_results=None) -> int:
        """Queue the jobs of this description in a schedd transaction (deprecated: use ``Schedd.submit``).

        Parameters
        ----------
        txn:
            An active :class:`~htcondor.Transaction` (from ``Schedd.transaction()``).
        count:
            How many jobs; 0 uses the description's queue statement (one job without one).
        ad_results:
            A list that receives the job ads.

        Returns
        -------
        int
            The cluster id.

        Raises
        ------
        HTCondorValueError
            Without an active transaction, or when ``count`` conflicts with the queue statement.
        """
        import warnings

        from ._schedd import submit_in_transaction

        warnings.warn("Submit.queue() was deprecated in version 10.7.0 and will be removed in a future release.  "
                      "Use Schedd.submit() instead.", FutureWarning, stacklevel=2)
        cluster, _, _ = submit_in_transaction(self, txn, count, None, use_qargs=True,
                                              ad_results=ad_results if isinstance(ad_results, list) else None)
        return cluster

    def queue_with_itemdata(self, txn, count: int = 1, itemdata=None, spool: bool = False):
        """Queue ``count`` jobs per item of ``itemdata`` in a schedd transaction (deprecated: use ``Schedd.submit``).

        Returns
        -------
        SubmitResult
            The cluster id, first proc id, number of jobs and cluster ad.

        Raises
        ------
        HTCondorValueError
            Without an active transaction.
        """
        import warnings

        from ._schedd import SubmitResult, submit_in_transaction

        warnings.warn("Submit.queue_with_itemdata() was deprecated in version 10.7.0 and will be removed in a future "
                      "release.  Use Schedd.submit() instead.", FutureWarning, stacklevel=2)
        cluster, num, cluster_ad = submit_in_transaction(self, txn, count, itemdata, use_qargs=False)
        return SubmitResult(cluster, 0, num, cluster_ad)
