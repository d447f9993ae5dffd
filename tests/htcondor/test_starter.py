"""The starter: running one job ad as a local process (htcondor._starter)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

import classad
import htcondor
from htcondor._eventlog_writer import EventLogWriter
from htcondor._job_environment import job_arguments, job_environment
from htcondor._job_sandbox import parse_remaps, split_file_list
from htcondor._starter import EXITED, HELD, SIGNALED, VACATED, HoldCode, Starter, write_events

T = htcondor.JobEventType
SLOT = "slot1_1@testhost"


def job(tmp_path, **description) -> classad.ClassAd:
    """A job ad as the schedd holds it after submit, with Iwd = tmp_path/iwd."""
    iwd = tmp_path / "iwd"
    iwd.mkdir(parents=True, exist_ok=True)
    description.setdefault("initialdir", str(iwd))
    return next(iter(htcondor.Submit(description).jobs(count=1, clusterid=7)))


def execute_dir(tmp_path) -> str:
    path = tmp_path / "execute"
    path.mkdir(exist_ok=True)
    return str(path)


def run(ad, tmp_path, **kwargs):
    starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path), submit_host="aphost", **kwargs)
    return starter, asyncio.run(starter.run())


def sh(script: str) -> dict:
    """Submit keys running ``script`` with /bin/sh (new-syntax arguments)."""
    return {"executable": "/bin/sh", "arguments": '"-c \'' + script.replace("'", "''").replace('"', '""') + '\'"'}


def read(path) -> str:
    with open(path) as f:
        return f.read()


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


# ------------------------------------------------------------------ running in Iwd


def test_echo_output_exit_code_events_and_sandbox_removed(tmp_path):
    ad = job(tmp_path, executable="/bin/echo", arguments="hello world", output="out.txt", error="err.txt")
    starter, result = run(ad, tmp_path, execute_host="<127.0.0.1:9618>")
    assert result.outcome == EXITED and result.exit_code == 0 and result.exit_signal is None
    assert read(tmp_path / "iwd" / "out.txt") == "hello world\n"
    assert read(tmp_path / "iwd" / "err.txt") == ""
    assert result.sandbox.startswith(os.path.join(execute_dir(tmp_path), f"dir_{os.getpid()}"))
    assert os.listdir(execute_dir(tmp_path)) == []
    types = [ev.type for ev in result.events]
    assert types[0] == T.EXECUTE and types[-1] == T.JOB_TERMINATED
    execute = result.events[0].fields
    assert execute["SlotName"] == SLOT and execute["ExecuteHost"] == "<127.0.0.1:9618>"
    assert execute["ExecuteProps"]["CondorScratchDir"] == result.sandbox
    done = result.events[-1].fields
    assert done["TerminatedNormally"] is True and done["ReturnValue"] == 0
    updates = result.job_ad_updates()
    assert updates["ExitCode"] == 0 and updates["ExitBySignal"] is False
    assert updates["CompletionDate"] >= updates["JobCurrentStartExecutingDate"]
    assert starter.state == "done"


def test_arguments_with_spaces_new_syntax(tmp_path):
    ad = job(tmp_path, executable="/usr/bin/printf", arguments="\"'[%s]\\n' 'one two' three ''''\"",
             output="out")
    _, result = run(ad, tmp_path)
    assert result.exit_code == 0
    assert read(tmp_path / "iwd" / "out") == "[one two]\n[three]\n[']\n"


def test_arguments_old_syntax(tmp_path):
    ad = job(tmp_path, executable="/usr/bin/printf", arguments="[%s] a  b", output="out")
    assert ad["Args"] == "[%s] a b"
    _, result = run(ad, tmp_path)
    assert read(tmp_path / "iwd" / "out") == "[a][b]"


def test_environment_and_htcondor_variables(tmp_path):
    ad = job(tmp_path, **sh('env; cat "$_CONDOR_JOB_AD" > jobad.txt'), output="env.txt",
             environment="\"FOO='a b' GOMAXPROCS=7 SCR=#CoNdOrScRaTcHdIr#/x\"", request_cpus="3")
    _, result = run(ad, tmp_path)
    assert result.exit_code == 0
    env = dict(line.split("=", 1) for line in read(tmp_path / "iwd" / "env.txt").splitlines() if "=" in line)
    box = result.sandbox
    assert env["FOO"] == "a b"
    assert env["_CONDOR_SCRATCH_DIR"] == box and env["TMPDIR"] == box and env["SCR"] == box + "/x"
    assert env["_CONDOR_SLOT"] == "slot1_1"
    assert env["_CONDOR_JOB_IWD"] == str(tmp_path / "iwd")
    assert env["_CONDOR_JOB_AD"] == box + "/.job.ad" and env["_CONDOR_MACHINE_AD"] == box + "/.machine.ad"
    assert env["OMP_NUM_THREADS"] == "3" and env["CUBACORES"] == "3"
    assert env["GOMAXPROCS"] == "7"  # the job's own value wins
    assert env["BATCH_SYSTEM"] == "HTCondor"
    assert "PATH" not in env or env["PATH"] != os.environ.get("PATH")  # nothing inherited from us
    assert "ClusterId = 7" in read(tmp_path / "iwd" / "jobad.txt")


def test_old_syntax_environment_and_starter_environment():
    ad = classad.ClassAd({"Env": "A=1;B=two words", "Iwd": "/tmp"})
    env = job_environment(ad, scratch_dir="/s", slot_name="slot2@h", starter_environment="A=0;C=3")
    assert (env["A"], env["B"], env["C"]) == ("1", "two words", "3")
    ad = classad.ClassAd({"Env": "A=1|B=2", "EnvDelim": "|", "Iwd": "/tmp", "X509UserProxy": "proxy.pem"})
    env = job_environment(ad, scratch_dir="/s", slot_name="slot2@h", job_iwd="/s")
    assert (env["A"], env["B"], env["X509_USER_PROXY"]) == ("1", "2", "/s/proxy.pem")
    assert job_arguments(classad.ClassAd({})) == []


def test_iwd_relative_input_output_and_working_directory(tmp_path):
    iwd = tmp_path / "iwd"
    iwd.mkdir()
    (iwd / "in.txt").write_text("from stdin\n")
    ad = job(tmp_path, **sh("pwd; cat; echo made > created.txt"), input="in.txt", output="sub/out.txt")
    (iwd / "sub").mkdir()
    _, result = run(ad, tmp_path)
    assert result.exit_code == 0
    assert read(iwd / "sub" / "out.txt") == f"{iwd}\nfrom stdin\n"
    assert read(iwd / "created.txt") == "made\n"


def test_same_file_for_output_and_error(tmp_path):
    ad = job(tmp_path, **sh("echo a; echo b >&2; echo c"), output="both", error="both")
    run(ad, tmp_path)
    assert read(tmp_path / "iwd" / "both") == "a\nb\nc\n"


def test_nonzero_exit_code(tmp_path):
    _, result = run(job(tmp_path, **sh("exit 42")), tmp_path)
    assert result.outcome == EXITED and result.exit_code == 42
    assert result.events[-1].fields["ReturnValue"] == 42


def test_death_by_signal(tmp_path):
    _, result = run(job(tmp_path, **sh("kill -TERM $$")), tmp_path)
    assert result.outcome == SIGNALED and result.exit_signal == signal.SIGTERM and result.exit_code is None
    updates = result.job_ad_updates()
    assert updates["ExitBySignal"] is True and updates["ExitSignal"] == 15 and "ExitCode" not in updates
    done = result.events[-1]
    assert done.type == T.JOB_TERMINATED
    assert done.fields["TerminatedNormally"] is False and done.fields["TerminatedBySignal"] == 15


# ------------------------------------------------------------------ file transfer


def test_transfer_in_and_out_with_directories_and_detected_outputs(tmp_path):
    iwd = tmp_path / "iwd"
    (iwd / "data" / "deep").mkdir(parents=True)
    (iwd / "data" / "deep" / "f.txt").write_text("deep")
    (iwd / "flat").mkdir()
    (iwd / "flat" / "g.txt").write_text("flat")
    (iwd / "keep.txt").write_text("unchanged")
    (iwd / "change.txt").write_text("old")
    (iwd / "in.txt").write_text("stdin!")
    script = iwd / "job.sh"
    script.write_text("#!/bin/sh\n"
                      "pwd\n"
                      "cat data/deep/f.txt g.txt keep.txt\n"
                      "cat\n"
                      "echo new > new.txt\n"
                      "echo changed > change.txt\n"
                      "mkdir outdir; echo x > outdir/x.txt\n"
                      "echo oops >&2\n")
    script.chmod(0o644)  # the starter makes the transferred copy executable
    ad = job(tmp_path, executable="job.sh", should_transfer_files="YES", when_to_transfer_output="ON_EXIT",
             transfer_input_files="data, flat/, keep.txt, change.txt", input="in.txt",
             output="out.txt", error="err.txt")
    ad["Cmd"] = str(script)
    _, result = run(ad, tmp_path)
    assert result.outcome == EXITED and result.exit_code == 0, result
    out = read(iwd / "out.txt").splitlines()
    assert out[0] == result.sandbox
    assert out[1:] == ["deepflatunchangedstdin!"]
    assert read(iwd / "err.txt") == "oops\n"
    assert read(iwd / "new.txt") == "new\n" and read(iwd / "change.txt") == "changed\n"
    assert not (iwd / "outdir").exists()  # subdirectories are not searched for output
    assert not (iwd / "g.txt").exists() and not (iwd / "_condor_stdout").exists()
    assert not (iwd / ".job.ad").exists()
    assert os.listdir(execute_dir(tmp_path)) == []
    inputs = len(script.read_text()) + 4 + 4 + 9 + 3 + 6
    assert result.bytes_received == inputs and result.files_received == 6
    assert result.bytes_sent == len("new\n") + len("changed\n") + len(read(iwd / "out.txt")) + len("oops\n")
    updates = result.job_ad_updates()
    assert updates["BytesRecvd"] == float(inputs) and updates["BytesSent"] == float(result.bytes_sent)
    assert updates["JobCurrentFinishTransferOutputDate"] >= updates["JobCurrentStartTransferInputDate"]
    done = result.events[-1].fields
    assert done["ReceivedBytes"] == float(inputs) and done["SentBytes"] == float(result.bytes_sent)


def test_transfer_output_list_directory_and_remaps(tmp_path):
    iwd = tmp_path / "iwd"
    iwd.mkdir()
    (iwd / "results").mkdir()
    ad = job(tmp_path, **sh("mkdir -p d/e sub; echo 1 > d/e/one; echo 2 > sub/two; echo 3 > three; echo 4 > four"),
             should_transfer_files="YES", transfer_output_files="d, sub/two, three, four",
             transfer_output_remaps='"three=results/renamed.txt; four=/dev/null"', output="o")
    _, result = run(ad, tmp_path)
    assert result.outcome == EXITED, result
    assert read(iwd / "d" / "e" / "one") == "1\n"
    assert read(iwd / "two") == "2\n"  # a path comes back under its base name
    assert read(iwd / "results" / "renamed.txt") == "3\n"
    assert not (iwd / "three").exists() and not (iwd / "four").exists()
    assert read(iwd / "o") == ""


def test_transfer_executable_false_uses_the_path_as_is(tmp_path):
    ad = job(tmp_path, executable="/bin/echo", arguments="hi", should_transfer_files="YES",
             transfer_executable="false", output="o")
    _, result = run(ad, tmp_path)
    assert result.exit_code == 0 and read(tmp_path / "iwd" / "o") == "hi\n"
    assert not (tmp_path / "iwd" / "echo").exists()


def test_remap_and_list_parsing():
    assert split_file_list("a, b ,c/") == ["a", "b", "c/"]
    assert parse_remaps("x=y ; a\\;b = c") == {"x": "y", "a;b": "c"}


# ------------------------------------------------------------------ holds


def test_missing_executable_is_a_hold(tmp_path):
    missing = str(tmp_path / "nope")
    ad = job(tmp_path, executable=missing, arguments="a b")
    _, result = run(ad, tmp_path)
    assert result.outcome == HELD
    assert result.hold_reason == f"Error from {SLOT}: Failed to execute '{missing}' with arguments a b: " \
                                 "(errno=2: 'No such file or directory')"
    assert (result.hold_reason_code, result.hold_reason_subcode) == (HoldCode.FailedToCreateProcess, 2)
    assert [ev.type for ev in result.events] == [T.JOB_HELD]
    held = result.events[0].fields
    assert held["HoldReasonCode"] == 6 and held["HoldReasonSubCode"] == 2
    updates = result.job_ad_updates()
    assert updates["HoldReasonCode"] == 6 and "ExitCode" not in updates and "CompletionDate" not in updates
    assert os.listdir(execute_dir(tmp_path)) == []


def test_non_executable_is_a_hold(tmp_path):
    prog = tmp_path / "iwd" / "prog"
    prog.parent.mkdir()
    prog.write_text("#!/bin/sh\n")
    prog.chmod(0o644)
    _, result = run(job(tmp_path, executable=str(prog)), tmp_path)
    assert result.outcome == HELD and result.hold_reason_code == 6 and result.hold_reason_subcode == 13
    assert result.hold_reason.endswith(f"Failed to execute '{prog}': (errno=13: 'Permission denied')")


def test_bad_iwd_is_a_hold(tmp_path):
    ad = job(tmp_path, executable="/bin/true")
    ad["Iwd"] = str(tmp_path / "gone")
    _, result = run(ad, tmp_path)
    assert result.outcome == HELD
    assert result.hold_reason == f"Cannot access initial working directory {tmp_path / 'gone'}: " \
                                 "No such file or directory"
    assert (result.hold_reason_code, result.hold_reason_subcode) == (HoldCode.IwdError, 2)


def test_missing_input_file_is_a_hold_and_cleans_up(tmp_path):
    ad = job(tmp_path, executable="/bin/true", should_transfer_files="YES", transfer_input_files="absent.txt")
    _, result = run(ad, tmp_path)
    assert result.outcome == HELD
    assert (result.hold_reason_code, result.hold_reason_subcode) == (HoldCode.TransferInputError, 2)
    assert result.hold_reason == (
        f"Transfer input files failure at access point aphost while sending files to execution point {SLOT}. "
        f"Details: reading from file {tmp_path / 'iwd' / 'absent.txt'}: (errno 2) No such file or directory")
    assert result.start_time is None and os.listdir(execute_dir(tmp_path)) == []


def test_missing_transferred_executable_is_an_input_hold(tmp_path):
    ad = job(tmp_path, executable=str(tmp_path / "nothere"), should_transfer_files="YES")
    _, result = run(ad, tmp_path)
    assert result.outcome == HELD and result.hold_reason_code == 13 and result.hold_reason_subcode == 2
    assert f"reading from file {tmp_path / 'nothere'}:" in result.hold_reason


def test_missing_output_file_is_a_hold(tmp_path):
    ad = job(tmp_path, executable="/bin/true", should_transfer_files="YES", transfer_output_files="never.txt")
    _, result = run(ad, tmp_path)
    assert result.outcome == HELD and result.exit_code == 0
    assert (result.hold_reason_code, result.hold_reason_subcode) == (HoldCode.TransferOutputError, 2)
    assert result.hold_reason.startswith(
        f"Transfer output files failure at execution point {SLOT} while sending files to access point aphost. "
        f"Details: reading from file {result.sandbox}/never.txt: (errno 2)")


def test_missing_standard_input_is_a_hold(tmp_path):
    _, result = run(job(tmp_path, executable="/bin/cat", input="none.txt"), tmp_path)
    assert result.outcome == HELD
    path = tmp_path / "iwd" / "none.txt"
    assert result.hold_reason == f"Error from {SLOT}: Failed to open '{path}' as standard input: " \
                                 "No such file or directory (errno 2)"
    assert (result.hold_reason_code, result.hold_reason_subcode) == (HoldCode.UnableToOpenInput, 2)


# ------------------------------------------------------------------ control


def test_suspend_and_continue_counts_wall_time_not_cpu(tmp_path):
    ad = job(tmp_path, executable="/bin/sleep", arguments="0.2")

    async def scenario():
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
        task = asyncio.create_task(starter.run())
        await until(lambda: starter.state == "running")
        assert starter.suspend() and not starter.suspend()
        assert starter.usage()["JobState"] == "Suspended"
        await asyncio.sleep(0.4)
        assert starter.resume() and not starter.resume()
        return await task

    result = asyncio.run(scenario())
    assert result.outcome == EXITED and result.exit_code == 0
    assert result.total_suspensions == 1 and result.suspension_time >= 0.4
    # The sleep's clock runs on while it is stopped: the run took the suspension, at least.
    assert result.wall_clock_time >= max(result.suspension_time, 0.2)
    assert result.user_cpu + result.sys_cpu < result.suspension_time
    types = [ev.type for ev in result.events]
    assert types.index(T.JOB_SUSPENDED) < types.index(T.JOB_UNSUSPENDED) < types.index(T.JOB_TERMINATED)
    assert result.job_ad_updates()["TotalSuspensions"] == 1


def test_vacate_sends_kill_sig_then_the_job_leaves(tmp_path):
    ad = job(tmp_path, **sh("trap 'echo got USR1; exit 5' USR1; echo ready > ready; while :; do sleep 0.01; done"),
             output="out", kill_sig="SIGUSR1")

    async def scenario():
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
        task = asyncio.create_task(starter.run())
        await until(lambda: (tmp_path / "iwd" / "ready").exists())
        starter.vacate(grace=5)
        return await task

    result = asyncio.run(scenario())
    assert result.outcome == VACATED and result.exit_code == 5
    assert read(tmp_path / "iwd" / "out") == "got USR1\n"
    assert [ev.type for ev in result.events][-1] == T.JOB_EVICTED
    assert "CompletionDate" not in result.job_ad_updates()


def test_vacate_kills_a_job_that_ignores_the_signal(tmp_path):
    ad = job(tmp_path, **sh("trap '' TERM; echo ready > ready; while :; do sleep 0.01; done"))

    async def scenario():
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
        task = asyncio.create_task(starter.run())
        await until(lambda: (tmp_path / "iwd" / "ready").exists())
        starter.suspend()
        starter.vacate(grace=0.1)  # a suspended job is continued first, so it can go
        return await task

    result = asyncio.run(scenario())
    assert result.outcome == VACATED and result.exit_signal == signal.SIGKILL


def test_hard_kill_and_hold_of_a_running_job(tmp_path):
    ad = job(tmp_path, executable="/bin/sleep", arguments="30")

    async def scenario(action):
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
        task = asyncio.create_task(starter.run())
        await until(lambda: starter.state == "running")
        action(starter)
        return await task

    killed = asyncio.run(scenario(lambda s: s.kill()))
    assert killed.outcome == VACATED and killed.exit_signal == signal.SIGKILL
    held = asyncio.run(scenario(lambda s: s.hold("too greedy", HoldCode.JobPolicy, 4)))
    assert held.outcome == HELD and held.exit_signal == signal.SIGTERM
    assert (held.hold_reason, held.hold_reason_code, held.hold_reason_subcode) == ("too greedy", 3, 4)
    assert held.events[-1].type == T.JOB_HELD


def test_vacate_before_start_never_runs_the_job(tmp_path):
    ad = job(tmp_path, **sh("echo ran > ran"))
    starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
    starter.vacate()
    result = asyncio.run(starter.run())
    assert result.outcome == VACATED and result.start_time is None and result.events == []
    assert not (tmp_path / "iwd" / "ran").exists()


def test_cancelling_run_kills_the_job_and_removes_the_sandbox(tmp_path):
    ad = job(tmp_path, executable="/bin/sleep", arguments="30")

    async def scenario():
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path))
        task = asyncio.create_task(starter.run())
        await until(lambda: starter.state == "running")
        pid = starter.pid
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid

    pid = asyncio.run(scenario())
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already
    assert os.listdir(execute_dir(tmp_path)) == []


def test_leftover_processes_are_killed_at_exit(tmp_path):
    _, result = run(job(tmp_path, **sh("sleep 30 & echo $! > bg.pid")), tmp_path)
    assert result.exit_code == 0
    pid = int(read(tmp_path / "iwd" / "bg.pid"))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the job's background process survived it")


# ------------------------------------------------------------------ usage and events


def test_rusage_memory_samples_and_image_size_events(tmp_path):
    code = "import time\nx = bytearray(20 << 20)\nwhile time.process_time() < 0.25: pass\ntime.sleep(0.1)\n"
    ad = job(tmp_path, executable=sys.executable, arguments=f'"-c \'{code}\'"')
    seen = []
    starter, result = run(ad, tmp_path, on_event=seen.append, sample_interval=0.02, initial_update_interval=0.05,
                          update_interval=10)
    assert result.outcome == EXITED and result.exit_code == 0
    assert result.user_cpu + result.sys_cpu >= 0.25 and result.user_cpu >= 0 and result.sys_cpu >= 0
    assert result.user_cpu + result.sys_cpu <= result.wall_clock_time + 0.05
    assert result.resident_set_size >= 20 << 10 and result.image_size >= result.resident_set_size
    sizes = [ev for ev in result.events if ev.type == T.IMAGE_SIZE]
    assert sizes and sizes[-1].fields["Size"] == result.image_size
    assert sizes[-1].fields["MemoryUsage"] == (result.resident_set_size + 1023) // 1024
    assert seen == result.events
    updates = result.job_ad_updates()
    assert updates["ResidentSetSize"] == result.resident_set_size
    assert str(updates["MemoryUsage"]) == "((ResidentSetSize + 1023) / 1024)"
    assert updates["RemoteUserCpu"] == float(int(result.user_cpu))


def test_async_event_callback_and_usage_while_running(tmp_path):
    ad = job(tmp_path, **sh("echo ready > ready; sleep 0.3"))
    got = []

    async def on_event(ev):
        await asyncio.sleep(0)
        got.append(ev.type)

    async def scenario():
        starter = Starter(ad, slot_name=SLOT, execute_dir=execute_dir(tmp_path), on_event=on_event,
                          sample_interval=0.02)
        task = asyncio.create_task(starter.run())
        await until(lambda: (tmp_path / "iwd" / "ready").exists())
        await until(lambda: starter.usage()["ResidentSetSize"] > 0)
        now = starter.usage()
        waited = await starter.wait()
        return now, await task, waited

    now, result, waited = asyncio.run(scenario())
    assert now["JobState"] == "Running" and now["NumPids"] >= 1 and now["ImageSize"] >= now["ResidentSetSize"]
    assert waited is result and got == [ev.type for ev in result.events]


def test_two_jobs_at_once_get_their_own_sandboxes(tmp_path):
    ads = [job(tmp_path, **sh(f'echo "$_CONDOR_SCRATCH_DIR" > box{i}; sleep 0.1')) for i in range(2)]

    async def both():
        starters = [Starter(ad, slot_name=f"slot1_{i}@h", execute_dir=execute_dir(tmp_path))
                    for i, ad in enumerate(ads)]
        return await asyncio.gather(*(s.run() for s in starters))

    results = asyncio.run(both())
    boxes = {read(tmp_path / "iwd" / f"box{i}").strip() for i in range(2)}
    assert boxes == {r.sandbox for r in results} and len(boxes) == 2


def test_events_written_to_a_user_log_read_back(tmp_path):
    ad = job(tmp_path, **sh("exit 3"), request_memory="64", request_disk="1024")
    ad["RemoteWallClockTime"] = 10.0
    machine = classad.ClassAd({"Cpus": 2, "Memory": 512, "Disk": 4096, "GPUs": 0})
    _, result = run(ad, tmp_path, machine_ad=machine, execute_host="<127.0.0.1:5555>")
    log = str(tmp_path / "job.log")
    write_events(EventLogWriter(log), result, 7, 0)
    events = list(htcondor.JobEventLog(log).events(stop_after=0))
    assert [e.type for e in events] == [ev.type for ev in result.events]
    execute, done = events[0], events[-1]
    props = execute["ExecuteProps"]
    assert execute["SlotName"] == SLOT and props["Cpus"] == 2 and props["Memory"] == 512
    assert props["CondorScratchDir"] == result.sandbox
    assert done["ReturnValue"] == 3 and done["TerminatedNormally"] is True
    assert done["RequestMemory"] == 64 and done["Memory"] == 512 and done["Cpus"] == 2
    assert result.job_ad_updates()["RemoteWallClockTime"] >= 10.0


def test_a_starter_runs_once(tmp_path):
    starter = Starter(job(tmp_path, executable="/bin/true"), slot_name=SLOT, execute_dir=execute_dir(tmp_path))
    asyncio.run(starter.run())
    with pytest.raises(RuntimeError):
        asyncio.run(starter.run())


def test_on_success_sends_output_files_only_for_the_success_exit_code(tmp_path):
    for code, sent in ((3, True), (0, False)):
        iwd = tmp_path / f"run{code}" / "iwd"
        ad = job(iwd.parent, **sh(f"echo r > result.txt; echo out; exit {code}"), should_transfer_files="YES",
                 when_to_transfer_output="ON_SUCCESS", success_exit_code="3", output="out")
        _, result = run(ad, iwd.parent)
        assert result.outcome == EXITED and result.exit_code == code
        assert (iwd / "result.txt").exists() is sent
        assert read(iwd / "out") == "out\n"  # standard output comes back either way
