# Gleitzeit python/v1 worker. The host starts it as `python3 -X utf8 -u <this file> <memory limit in bytes>` and
# speaks JSON-RPC 2.0 with it, one JSON object per line, over its stdin and stdout.
#
# Two kinds of process (docs/providers.md, "Safety model"):
# - this one, the supervisor, owns the protocol channel and never runs task code;
# - for every execution it forks a child (ahead of time) that runs the code. The child keeps only stdin (/dev/null),
#   stdout and stderr (a pipe the supervisor relays to its own stderr), the pipe its request arrives on (closed once
#   read) and one pipe to send its outcome back. The supervisor builds the JSON-RPC answer itself, so the code can
#   neither reach the protocol channel nor answer for another execution.
# Where fork does not exist (Windows) the code runs in this process instead, without those guarantees.
import ast
import builtins
import codecs
import collections
import io
import json
import linecache
import os
import select
import sys
import time
import traceback
import warnings

POSIX = os.name == "posix"
LINUX = sys.platform.startswith("linux")
FORK = hasattr(os, "fork")

# The folder of this file is not a place to import task modules from.
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

if LINUX:
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
else:
    _libc = None

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4


def _prctl(option, arg):
    if _libc is None:
        return False
    return _libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


def _open_fds():
    try:
        return [int(n) for n in os.listdir("/proc/self/fd" if LINUX else "/dev/fd")]
    except OSError:
        return list(range(3, 1024))


def close_fds_except(keep):
    """Closes every descriptor above 2 but those in keep (descriptors the host inherited, and the supervisor's own)."""
    for fd in _open_fds():
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


# --- start-up: nothing the host inherited stays open; the protocol moves off fds 0 and 1 -------------------------------

close_fds_except(())
PROTOCOL_IN = os.dup(0)
PROTOCOL_OUT = os.dup(1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)
os.dup2(2, 1)  # the supervisor's own fd-level writes go to stderr
sys.stdin = io.StringIO("")

notes = []
if POSIX:
    try:
        os.setsid()  # own process group and session: the host kills the group (and, on Linux, every descendant)
    except OSError:
        pass
if LINUX:
    # Same-user processes (the code among them) cannot open /proc/<this pid>/fd, mem or environ, nor ptrace it.
    if not _prctl(PR_SET_DUMPABLE, 0):
        notes.append("could not make the worker non-dumpable (errno %d)" % ctypes.get_errno())
    # Processes the code starts and orphans (a daemon that called setsid) are re-parented here, not to init, so
    # they stay findable as descendants and are killed with the worker.
    if not _prctl(PR_SET_CHILD_SUBREAPER, 1):
        notes.append("could not become a child subreaper (errno %d)" % ctypes.get_errno())

try:
    import faulthandler
    faulthandler.enable()
except Exception:  # noqa: BLE001
    pass

_limit = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else 0  # RLIMIT_AS in bytes; 0: none
sys.argv[:] = [""]
if _limit > 0:
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
    except Exception as e:  # noqa: BLE001
        notes.append("memory limit not applied: %s" % e)

# A lone surrogate has no UTF-8 form; it leaves as U+FFFD, as .NET does with one.
codecs.register_error("gleitzeit-fffd", lambda e: ("\ufffd", e.end))


def encode_line(obj):
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (data + "\n").encode("utf-8", "gleitzeit-fffd")


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


def send_host(obj):
    write_all(PROTOCOL_OUT, encode_line(obj))


# --- the code's side (runs in the forked child) ------------------------------------------------------------------------


class Capture(io.TextIOBase):
    """A text stream that keeps up to `limit` bytes and optionally streams complete lines."""

    def __init__(self, limit, stream):
        self.limit = limit
        self.size = 0
        self.parts = []
        self.truncated = 0
        self.stream = stream
        self.pending = ""
        self.closed_for_task = False

    def writable(self):
        return True

    @property
    def encoding(self):
        return "utf-8"

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if self.closed_for_task or not s:
            return len(s)
        n = len(s) if s.isascii() else len(s.encode("utf-8", "replace"))
        room = self.limit - self.size
        if n <= room:
            self.parts.append(s)
            self.size += n
            kept = s
        else:
            kept = s[:room] if room > 0 else ""
            if kept:
                self.parts.append(kept)
            self.size = self.limit
            self.truncated += n - len(kept)
        if self.stream and kept:
            self.pending += kept
            if "\n" in self.pending:
                lines = self.pending.split("\n")
                self.pending = lines.pop()
                for line in lines:
                    self.stream(line)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def finish(self):
        if self.stream and self.pending:
            self.stream(self.pending)
            self.pending = ""
        self.closed_for_task = True
        text = "".join(self.parts)
        if self.truncated:
            text += "\n[output truncated: %d more bytes beyond the limit of %d bytes]" % (self.truncated, self.limit)
        return text


class Refused(Exception):
    """The code cannot run as written (a reference where Python needs a name): TASK_VALIDATION_FAILED."""

    def __init__(self, message, line=None):
        Exception.__init__(self, message)
        self.line = line


class Bindings(object):
    """
    References bound to variables. The host replaced each ${...} in the code by a placeholder name (identifier
    characters only, with a random nonce that occurs nowhere else), so the code's lexical structure is what the author
    wrote. This interpreter's own parser then says where each placeholder stands, and the syntax tree is changed, never
    the source text:
    - as a name in an expression (bare ${a.x}, or inside an f-string's {...}): the variable holding the value;
    - as a whole string literal ("${a.x}", '''${a.x}''', f"${a.x}", r'${a.x}'): the same variable, so the value keeps its
      JSON type;
    - inside a longer string, an f-string's literal text or format spec, a docstring or a case pattern: the string
      constant gets the value's text (bytes: its UTF-8);
    - in a comment: nothing (comments are not code).
    Anywhere else (attribute or parameter names, assignment targets, glued to other characters) it is refused.
    """

    def __init__(self, spec):
        self.nonce = spec["nonce"]
        self.by_name = {}
        for b in spec["bindings"]:
            self.by_name[b["name"]] = b

    def values(self):
        return dict((name, b["value"]) for name, b in self.by_name.items())

    def text(self, s):
        for name, b in self.by_name.items():
            if name in s:
                s = s.replace(name, b["text"])
        return s

    def text_bytes(self, s):
        for name, b in self.by_name.items():
            key = name.encode("ascii")
            if key in s:
                s = s.replace(key, b["text"].encode("utf-8", "gleitzeit-fffd"))
        return s

    def show(self, s):
        """Text for a human: placeholders shown as the references the author wrote."""
        if not isinstance(s, str):
            return s
        for name, b in self.by_name.items():
            s = s.replace(name, "${%s}" % b["ref"])
        return s

    def transform(self, tree):
        tree = _Binder(self).visit(tree)
        for node in ast.walk(tree):
            for field, value in ast.iter_fields(node):
                for item in (value if isinstance(value, list) else [value]):
                    if not isinstance(item, str) or self.nonce not in item:
                        continue
                    if isinstance(node, ast.Name) and field == "id" and item in self.by_name:
                        if isinstance(node.ctx, ast.Load):
                            continue
                        raise Refused("reference %s (line %s) is the target of an assignment or del; a reference is a "
                                      "value: assign it to a variable instead (x = %s)"
                                      % (self.show(item), getattr(node, "lineno", "?"), self.show(item)), getattr(node, "lineno", None))
                    line = getattr(node, "lineno", None)
                    raise Refused("reference %s (line %s) stands where Python needs a name (%s.%s), or is glued to other "
                                  "characters; a reference can only be a value: an expression on its own, or text inside a "
                                  "string or comment. Put it in a variable first (x = ${...}) and use the variable"
                                  % (self.show(item), line if line is not None else "?", type(node).__name__, field), line)
        return ast.fix_missing_locations(tree)


class _Binder(ast.NodeTransformer):
    def __init__(self, bindings):
        self.b = bindings

    def _name(self, node, name):
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

    def _text_constant(self, node):
        v = node.value
        if isinstance(v, str) and self.b.nonce in v:
            return ast.copy_location(ast.Constant(value=self.b.text(v)), node)
        if isinstance(v, bytes) and self.b.nonce.encode("ascii") in v:
            return ast.copy_location(ast.Constant(value=self.b.text_bytes(v)), node)
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value in self.b.by_name:
            return self._name(node, node.value)  # "${a.x}": the value with its JSON type
        return self._text_constant(node)

    def visit_Expr(self, node):
        # A string statement (a docstring) stays a string: text.
        if isinstance(node.value, ast.Constant):
            node.value = self._text_constant(node.value)
            return node
        return self.generic_visit(node)

    def visit_MatchValue(self, node):  # case "${a.x}": patterns take literals: text
        if isinstance(node.value, ast.Constant):
            node.value = self._text_constant(node.value)
            return node
        return self.generic_visit(node)

    def visit_JoinedStr(self, node):
        values = node.values
        if len(values) == 1 and isinstance(values[0], ast.Constant) and values[0].value in self.b.by_name:
            return self._name(node, values[0].value)  # f"${a.x}": as "${a.x}"
        return self._fstring(node)

    def _fstring(self, node):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(self._text_constant(part))
            elif isinstance(part, ast.FormattedValue):
                part.value = self.visit(part.value)
                if part.format_spec is not None:
                    part.format_spec = self._fstring(part.format_spec)  # spec text: text, nested fields: as any field
                parts.append(part)
            else:
                parts.append(self.visit(part))
        node.values = parts
        return node


def _parse(source, filename, bindings):
    if bindings is None:
        return compile(source, filename, "exec", dont_inherit=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = compile(source, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    for w in caught:
        # "\${a.x}" is a backslash before a placeholder: its "invalid escape sequence '\_'" is ours, not the author's.
        if "'\\_'" in str(w.message):
            continue
        warnings.warn_explicit(bindings.show(str(w.message)), w.category, w.filename, w.lineno)
    tree = bindings.transform(tree)
    return compile(tree, filename, "exec", dont_inherit=True)


def user_traceback(exc, filename):
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    if tb is None:
        # Compile errors: only the exception lines (they name file and line themselves).
        lines = traceback.format_exception_only(type(exc), exc)
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    else:
        t = tb
        while t is not None:
            if t.tb_frame.f_code.co_filename == filename:
                line = t.tb_lineno
            t = t.tb_next
    return "".join(lines), line


def run_code(params, emit):
    """Runs one execution in this process; emit({...}) sends ('out', line) notes and then one ('final', outcome)."""
    limit = int(params.get("max_output", 1048576))
    stream = bool(params.get("stream", False))
    out = Capture(limit, (lambda line: emit({"k": "out", "line": line})) if stream else None)
    err = Capture(limit, None)
    filename = params.get("filename") or "<task>"
    context = params.get("context") or {}
    bindings = Bindings(params["bind"]) if params.get("bind") else None
    show = bindings.show if bindings is not None else (lambda s: s)
    g = {}
    started = time.perf_counter()
    try:
        if "code" in params and params["code"] is not None:
            source = params["code"]
        else:
            with open(params["file"], "r", encoding="utf-8") as fh:
                source = fh.read()
            filename = params["file"]
            sys.path.insert(0, os.path.dirname(filename))
            sys.argv[:] = [filename]
        if params.get("cwd"):
            os.chdir(params["cwd"])
        shown = show(source)
        linecache.cache[filename] = (len(shown), None, shown.splitlines(True), filename)
        g = {"__name__": "__main__", "__builtins__": builtins, "__doc__": None}
        if filename != "<task>":
            g["__file__"] = filename
        if isinstance(context, dict):
            g.update(context)
        g["context"] = context
        if bindings is not None:
            g.update(bindings.values())
        sys.stdout = out
        sys.stderr = err
        try:
            code = _parse(source, filename, bindings)
            exec(code, g)
        except SystemExit as e:
            if e.code not in (None, 0):
                raise
    except BaseException as e:  # noqa: BLE001 - everything the code raises is reported
        elapsed = time.perf_counter() - started
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        g.clear()  # free what the code built (after a MemoryError, reporting needs the room)
        if isinstance(e, Refused):
            emit({"k": "final", "error": {"code": -29001, "message": show(str(e)), "data": {"type": "ReferencePlacement", "line": e.line, "filename": filename}}})
            return
        text, line = user_traceback(e, filename)
        if isinstance(e, SystemExit):
            message = "the code called sys.exit(%r)" % (e.code,)
        else:
            try:
                message = str(e)
            except Exception:  # noqa: BLE001 - a broken __str__ must not take the worker down
                message = "<the exception's str() failed>"
        if not message and isinstance(e, MemoryError):
            message = "out of memory (the worker's memory limit, or the machine's, was reached)"
        message = show(message)
        data = {
            "type": type(e).__name__,
            "message": message,
            "traceback": show(text),
            "line": line,
            "filename": filename,
            "output": out.finish(),
            "stderr": err.finish(),
            "execution_time": elapsed,
        }
        emit({"k": "final", "error": {"code": -29002, "message": ("%s: %s" % (type(e).__name__, message)) if message else type(e).__name__, "data": data}})
        return
    elapsed = time.perf_counter() - started
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    result = g.get("result")
    answer = {"result": result, "output": out.finish(), "stderr": err.finish(), "success": True, "execution_time": elapsed}
    try:
        line = encode_line({"k": "final", "result": answer})
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        try:
            text = repr(result)
        except Exception as re:  # noqa: BLE001
            text = "<unrepresentable %s: %s>" % (type(result).__name__, re)
        answer["result"] = text
        answer["result_note"] = ("the value of 'result' (type %s) cannot be represented as JSON (%s); its repr is given instead"
                                 % (type(result).__name__, e))
        line = encode_line({"k": "final", "result": answer})
    emit(line)


def _drop_capabilities():
    """Done once by the supervisor, so every child inherits it: code that runs as root runs without any capability (no
    CAP_SYS_PTRACE, so the host's and this worker's /proc entries stay closed to it; no CAP_DAC_OVERRIDE), and programs
    it starts gain none either. The supervisor needs none: it only signals and reads /proc/PID/stat of its descendants."""
    try:
        with open("/proc/self/status") as f:
            eff = [l for l in f if l.startswith("CapEff:") or l.startswith("CapPrm:")]
        if all(int(l.split()[1], 16) == 0 for l in eff):
            return
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    _prctl(PR_SET_NO_NEW_PRIVS, 1)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed: the code would run with the worker's capabilities")


def child_main(params_r, result_w, relay_w):
    """
    The forked child, started ahead of its request: keep stdin, stdout/stderr (the relay), the result pipe and the pipe
    its request comes on; wait for the request; run the code; exit.
    """
    try:
        os.dup2(result_w, 3)
        os.dup2(params_r, 4)
        os.dup2(relay_w, 1)
        os.dup2(relay_w, 2)
        close_fds_except((3, 4))
        for fd in (3, 4):
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass
        try:
            faulthandler.enable()
        except Exception:  # noqa: BLE001
            pass
        data = b""
        while True:
            chunk = os.read(4, 1 << 20)
            if not chunk:
                break
            data += chunk
        os.close(4)
        if not data:
            os._exit(0)  # the supervisor went away, or retired this spare
        params = json.loads(data)

        def emit(message):
            write_all(3, message if isinstance(message, bytes) else encode_line(message))

        run_code(params, emit)
    except BaseException as e:  # noqa: BLE001
        try:
            os.write(2, ("gleitzeit worker: the code's process failed before running it: %s\n" % e).encode("utf-8", "replace"))
        except OSError:
            pass
        os._exit(70)
    os._exit(0)


# --- the supervisor -----------------------------------------------------------------------------------------------------

if LINUX:
    try:
        _drop_capabilities()
    except OSError as e:
        notes.append(str(e))

RELAY_R, RELAY_W = os.pipe()  # the children's stdout and stderr; relayed to this process's stderr line by line
os.set_blocking(RELAY_R, False)
_relay_tail = collections.deque(maxlen=40)
_relay_partial = b""
_requests = collections.deque()
_request_buffer = b""


def _relay():
    global _relay_partial
    while True:
        try:
            chunk = os.read(RELAY_R, 65536)
        except BlockingIOError:
            return
        except OSError:
            return
        if not chunk:
            return
        try:
            write_all(2, chunk)
        except OSError:
            pass
        data = _relay_partial + chunk
        lines = data.split(b"\n")
        _relay_partial = lines.pop()[-4096:]
        for line in lines:
            _relay_tail.append(line[-2000:].decode("utf-8", "replace"))


def _read_requests():
    """Reads what the host sent; at end of input (the host exited or disposed us) kills every descendant and exits."""
    global _request_buffer
    chunk = os.read(PROTOCOL_IN, 1 << 20)
    if not chunk:
        shutdown()
    _request_buffer += chunk
    while True:
        nl = _request_buffer.find(b"\n")
        if nl < 0:
            break
        line, _request_buffer = _request_buffer[:nl], _request_buffer[nl + 1:]
        if line.strip():
            _requests.append(line)


def _descendants():
    """Pids of every process below this one (Linux: /proc), deepest last."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
            parents.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [os.getpid()]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants():
    import signal
    if LINUX:
        # Stop first (a stopped process cannot fork), then kill; repeat until nothing new shows up.
        seen = set()
        for _ in range(20):
            new = [p for p in _descendants() if p not in seen]
            if not new:
                break
            for pid in new:
                seen.add(pid)
                try:
                    os.kill(pid, signal.SIGSTOP)
                except OSError:
                    pass
        for pid in seen:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if POSIX:
        try:
            os.killpg(0, signal.SIGKILL)
        except OSError:
            pass


def shutdown():
    if POSIX:
        kill_descendants()
    os._exit(0)


def reap():
    if not POSIX:
        return
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def next_request():
    while not _requests:
        readers = [PROTOCOL_IN, RELAY_R] if POSIX else [PROTOCOL_IN]
        if POSIX:
            ready, _, _ = select.select(readers, [], [], 1.0)
            if RELAY_R in ready:
                _relay()
            if PROTOCOL_IN in ready:
                _read_requests()
            reap()
        else:
            _read_requests()
    return _requests.popleft()


def _describe_status(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        names = {6: " (SIGABRT)", 7: " (SIGBUS)", 8: " (SIGFPE)", 9: " (SIGKILL: out of memory, or killed from outside)",
                 11: " (SIGSEGV: segmentation fault)", 15: " (SIGTERM)"}
        return "killed by signal %d%s" % (sig, names.get(sig, ""))
    return "exit code %d" % os.WEXITSTATUS(status)


def _to_host(rid, message):
    """Turns the child's final message into this execution's answer; everything else about the answer is ours."""
    if "result" in message and isinstance(message["result"], dict):
        r = message["result"]
        answer = {"result": r.get("result"), "output": r.get("output") if isinstance(r.get("output"), str) else "",
                  "stderr": r.get("stderr") if isinstance(r.get("stderr"), str) else "", "success": True,
                  "execution_time": r.get("execution_time") if isinstance(r.get("execution_time"), (int, float)) else 0.0}
        if isinstance(r.get("result_note"), str):
            answer["result_note"] = r["result_note"]
        return {"jsonrpc": "2.0", "id": rid, "result": answer}
    error = message.get("error") if isinstance(message.get("error"), dict) else {}
    code = error.get("code") if error.get("code") in (-29001, -29002) else -29002
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": str(error.get("message", "the code failed")),
                                                  "data": error.get("data") if isinstance(error.get("data"), dict) else {}}}


_spare = None


def spawn_child():
    """Forks the child for the next execution ahead of time, so the fork is not on the request's path."""
    params_r, params_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(params_w)
            os.close(result_r)
            child_main(params_r, result_w, RELAY_W)
        finally:
            os._exit(70)
    os.close(params_r)
    os.close(result_w)
    return pid, params_w, result_r


def execute_forked(rid, params):
    global _spare
    pid, params_w, result_r = _spare if _spare is not None else spawn_child()
    _spare = None
    _relay_tail.clear()
    try:
        write_all(params_w, json.dumps(params, ensure_ascii=False).encode("utf-8", "gleitzeit-fffd"))
    except OSError:
        pass  # it died while waiting: reported below from its exit status
    os.close(params_w)
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    buffer = b""
    final = None
    status = None
    result_open = True
    try:
        while final is None and status is None:
            readers = [PROTOCOL_IN, RELAY_R]
            if result_open:
                readers.append(result_r)
            if pidfd is not None:
                readers.append(pidfd)
            ready, _, _ = select.select(readers, [], [], None if pidfd is not None else 0.05)
            if RELAY_R in ready:
                _relay()
            if PROTOCOL_IN in ready:
                _read_requests()
            if result_r in ready:
                chunk = os.read(result_r, 1 << 20)
                if not chunk:
                    result_open = False
                buffer += chunk
                while final is None:
                    nl = buffer.find(b"\n")
                    if nl < 0:
                        break
                    line, buffer = buffer[:nl], buffer[nl + 1:]
                    final = _child_message(line)
            if final is None and (pidfd is None or pidfd in ready or not result_open):
                done, st = os.waitpid(pid, 0 if pidfd is not None and pidfd in ready else os.WNOHANG)
                if done == pid:
                    status = st
        if final is None:
            # It exited without an outcome: collect what is left of it (without waiting for a process it left behind
            # that holds the pipe open), then describe the exit.
            os.set_blocking(result_r, False)
            while True:
                try:
                    chunk = os.read(result_r, 1 << 20)
                except OSError:
                    break
                if not chunk:
                    break
                buffer += chunk
            for line in buffer.split(b"\n"):
                if final is None and line.strip():
                    final = _child_message(line)
    finally:
        os.close(result_r)
        if pidfd is not None:
            os.close(pidfd)
    if final is not None:
        # Answer at once; the child is exiting and is reaped later (reap()), like any other process below us.
        send_host(_to_host(rid, final))
        _spare = spawn_child()
        return
    if status is None:
        _, status = os.waitpid(pid, 0)
    _relay()
    how = _describe_status(status)
    tail = list(_relay_tail)
    text = "the code's process ended without an answer (%s)" % how
    if tail:
        text += "; its last stderr lines:\n" + "\n".join(tail)
    send_host({"jsonrpc": "2.0", "id": rid, "error": {"code": -29002, "message": text, "data": {"type": "WorkerCrash", "crash": True, "exit": how, "recycle": True}}})
    _spare = spawn_child()


def _child_message(line):
    """An 'out' note is relayed as an output notification; the 'final' message is returned. Anything else is ignored."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    if message.get("k") == "out" and isinstance(message.get("line"), str):
        send_host({"method": "output", "jsonrpc": "2.0", "params": {"kind": "stdout", "line": message["line"]}})
        return None
    if message.get("k") == "final":
        return message
    return None


def execute_in_process(rid, params):
    """Without fork (Windows): run here, restoring what the code may change."""
    base = (os.getcwd(), list(sys.path), dict(os.environ), list(sys.argv))
    finals = []

    def emit(message):
        message = json.loads(message) if isinstance(message, bytes) else message
        if message.get("k") == "out":
            send_host({"method": "output", "jsonrpc": "2.0", "params": {"kind": "stdout", "line": message["line"]}})
        else:
            finals.append(message)

    try:
        run_code(params, emit)
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if os.getcwd() != base[0]:
            os.chdir(base[0])
        sys.path[:] = base[1]
        if os.environ != base[2]:
            os.environ.clear()
            os.environ.update(base[2])
        sys.argv[:] = base[3]
    send_host(_to_host(rid, finals[-1]))


def main():
    ready = {"pid": os.getpid(), "executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
             "process_group": os.getpgid(0) if POSIX else None, "forks": FORK}
    if notes:
        ready["note"] = "; ".join(notes)
    send_host({"method": "ready", "jsonrpc": "2.0", "params": ready})
    if FORK:
        global _spare
        _spare = spawn_child()
    while True:
        line = next_request()
        try:
            request = json.loads(line)
            rid = request.get("id")
            method = request.get("method")
            params = request.get("params") or {}
        except Exception as e:  # noqa: BLE001
            send_host({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "worker could not parse request: %s" % e}})
            continue
        if method == "execute":
            (execute_forked if FORK else execute_in_process)(rid, params)
            reap()
        elif method == "ping":
            send_host({"jsonrpc": "2.0", "id": rid, "result": {"pong": True}})
        else:
            send_host({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "unknown worker method %r" % method}})


main()
