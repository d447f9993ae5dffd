"""Helpers for tests that run one daemon of the pool as a subprocess."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

from htcondor._sinful import read_address_file


def wait_for(predicate, timeout=15.0, what="condition"):
    """Poll ``predicate`` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def write_config(path, settings: dict) -> None:
    path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))


class DaemonProcess:
    """``python -m htcondor._daemons.<name>`` under ``config_file``, ready once it wrote ``address_file``."""

    def __init__(self, name: str, config_file, address_file):
        self.name = name
        self.config_file = config_file
        self.address_file = address_file
        self.proc = None
        self.address = None

    def start(self) -> None:
        env = {**os.environ, "CONDOR_CONFIG": str(self.config_file)}
        env.pop("CONDOR_PARENT_PID", None)
        self.proc = subprocess.Popen([sys.executable, "-m", f"htcondor._daemons.{self.name}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.address = wait_for(self._address, what=f"the {self.name}'s address file")
        except BaseException:
            self.stop()
            raise

    def _address(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"the {self.name} exited: {self.proc.stderr.read().decode()[-2000:]}")
        return read_address_file(str(self.address_file))

    def kill(self) -> None:
        """SIGKILL, as a crash would; the stale address file is removed."""
        self.proc.kill()
        self.proc.wait()
        if self.address_file.exists():
            self.address_file.unlink()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()


@contextlib.contextmanager
def private_pool(local_dir, config: dict):
    """A running PersonalPool; afterwards CONDOR_CONFIG is as it was (the pool points it at itself)."""
    import htcondor
    from htcondor.personal import PersonalPool

    before = os.environ.get("CONDOR_CONFIG")
    try:
        with PersonalPool(local_dir=local_dir, config=config) as pool:
            yield pool
    finally:
        if before is None:
            os.environ.pop("CONDOR_CONFIG", None)
        else:
            os.environ["CONDOR_CONFIG"] = before
        htcondor.reload_config()
