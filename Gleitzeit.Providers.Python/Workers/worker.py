# Gleitzeit python/v1 worker: runs user code on request, speaking JSON-RPC 2.0, one JSON object per line.
# Requests arrive on the original stdin, answers leave on the original stdout; both are moved to private
# descriptors at start so neither user prints nor child processes can touch the protocol channel.
import builtins
import codecs
import io
import json
import linecache
import os
import sys
import threading
import time
import traceback

import queue

PROTOCOL_IN = os.dup(0)
PROTOCOL_OUT = os.dup(1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)
os.dup2(2, 1)  # fd-level writes (C extensions, child processes) go to the worker's stderr
sys.stdin = io.StringIO("")

_out = os.fdopen(PROTOCOL_OUT, "wb", buffering=0)
_write_lock = threading.Lock()

POSIX = os.name == "posix"
if POSIX:
    try:
        os.setsid()  # own process group: a timeout kill takes the code's child processes with it
    except OSError:
        pass

try:
    import faulthandler
    faulthandler.enable()
except Exception:  # noqa: BLE001
    pass

_memory_note = None
_limit = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else 0  # RLIMIT_AS in bytes; 0: none
sys.argv[:] = [""]
if _limit > 0:
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
    except Exception as e:  # noqa: BLE001
        _memory_note = "memory limit not applied: %s" % e


# A lone surrogate has no UTF-8 form; it leaves as U+FFFD, as .NET does with one.
codecs.register_error("gleitzeit-fffd", lambda e: ("\ufffd", e.end))


def send(obj):
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    raw = (data + "\n").encode("utf-8", "gleitzeit-fffd")
    with _write_lock:
        _out.write(raw)


def _reader(q):
    f = os.fdopen(PROTOCOL_IN, "rb", buffering=0)
    buf = b""
    while True:
        chunk = f.read(65536)
        if not chunk:
            break
        buf += chunk
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line, buf = buf[:nl], buf[nl + 1:]
            if line.strip():
                q.put(line)
    # The host closed the channel (it exited or disposed us): take everything we started with us.
    if POSIX:
        try:
            import signal
            os.killpg(0, signal.SIGKILL)
        except Exception:  # noqa: BLE001
            pass
    os._exit(0)


class Capture(io.TextIOBase):
    """A text stream that keeps up to `limit` bytes and optionally streams complete lines as notifications."""

    def __init__(self, limit, stream_kind):
        self.limit = limit
        self.size = 0
        self.parts = []
        self.truncated = 0
        self.stream_kind = stream_kind
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
        if self.stream_kind and kept:
            self.pending += kept
            if "\n" in self.pending:
                lines = self.pending.split("\n")
                self.pending = lines.pop()
                for line in lines:
                    send({"method": "output", "jsonrpc": "2.0", "params": {"kind": self.stream_kind, "line": line}})
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def finish(self):
        if self.stream_kind and self.pending:
            send({"method": "output", "jsonrpc": "2.0", "params": {"kind": self.stream_kind, "line": self.pending}})
            self.pending = ""
        self.closed_for_task = True
        text = "".join(self.parts)
        if self.truncated:
            text += "\n[output truncated: %d more bytes beyond the limit of %d bytes]" % (self.truncated, self.limit)
        return text


_code_cache = {}


def compile_cached(source, filename):
    key = (source, filename)
    code = _code_cache.get(key)
    if code is None:
        code = compile(source, filename, "exec", dont_inherit=True)
        if len(_code_cache) > 256:
            _code_cache.clear()
        _code_cache[key] = code
    return code


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


BASE_CWD = os.getcwd()
BASE_PATH = list(sys.path)
BASE_ENV = dict(os.environ)
BASE_ARGV = list(sys.argv)


def restore():
    sys.stdout = sys.__stdout__
    sys.stderr = sys.__stderr__
    if os.getcwd() != BASE_CWD:
        os.chdir(BASE_CWD)
    if sys.path != BASE_PATH:
        sys.path[:] = BASE_PATH
    if os.environ != BASE_ENV:
        os.environ.clear()
        os.environ.update(BASE_ENV)
    sys.argv[:] = BASE_ARGV


def execute(rid, params):
    limit = int(params.get("max_output", 1048576))
    stream = bool(params.get("stream", False))
    out = Capture(limit, "stdout" if stream else None)
    err = Capture(limit, None)
    filename = params.get("filename") or "<task>"
    context = params.get("context") or {}
    recycle = False
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
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        g = {"__name__": "__main__", "__builtins__": builtins, "__doc__": None}
        if filename != "<task>":
            g["__file__"] = filename
        if isinstance(context, dict):
            g.update(context)
        g["context"] = context
        sys.stdout = out
        sys.stderr = err
        try:
            code = compile_cached(source, filename)
            exec(code, g)
            exit_status = None
        except SystemExit as e:
            exit_status = e.code
            if exit_status in (None, 0):
                exit_status = None
            else:
                raise
    except BaseException as e:  # noqa: BLE001 - everything the user code raises is reported
        elapsed = time.perf_counter() - started
        restore()
        g.clear()  # free what the code built (after a MemoryError, reporting needs the room)
        text, line = user_traceback(e, filename)
        if isinstance(e, MemoryError):
            recycle = True
        if isinstance(e, SystemExit):
            message = "the code called sys.exit(%r)" % (e.code,)
        else:
            try:
                message = str(e)
            except Exception:  # noqa: BLE001 - a broken __str__ must not take the worker down
                message = "<the exception's str() failed>"
        if not message and isinstance(e, MemoryError):
            message = "out of memory (the worker's memory limit, or the machine's, was reached)"
        data = {
            "type": type(e).__name__,
            "message": message,
            "traceback": text,
            "line": line,
            "filename": filename,
            "output": out.finish(),
            "stderr": err.finish(),
            "execution_time": elapsed,
            "recycle": recycle,
        }
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -29002, "message": ("%s: %s" % (type(e).__name__, message)) if message else type(e).__name__, "data": data}})
        return
    elapsed = time.perf_counter() - started
    restore()
    result = g.get("result")
    response = {
        "jsonrpc": "2.0",
        "id": rid,
        "result": {
            "result": result,
            "output": out.finish(),
            "stderr": err.finish(),
            "success": True,
            "execution_time": elapsed,
        },
    }
    try:
        send(response)
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        try:
            text = repr(result)
        except Exception as re:  # noqa: BLE001
            text = "<unrepresentable %s: %s>" % (type(result).__name__, re)
        response["result"]["result"] = text
        response["result"]["result_note"] = (
            "the value of 'result' (type %s) cannot be represented as JSON (%s); its repr is given instead"
            % (type(result).__name__, e))
        send(response)


def main():
    q = queue.SimpleQueue()
    t = threading.Thread(target=_reader, args=(q,), name="gleitzeit-protocol-reader", daemon=True)
    t.start()
    ready = {"pid": os.getpid(), "executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
             "process_group": os.getpgid(0) if POSIX else None}
    if _memory_note:
        ready["note"] = _memory_note
    send({"method": "ready", "jsonrpc": "2.0", "params": ready})
    while True:
        line = q.get()
        try:
            request = json.loads(line)
            rid = request.get("id")
            method = request.get("method")
            params = request.get("params") or {}
        except Exception as e:  # noqa: BLE001
            send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "worker could not parse request: %s" % e}})
            continue
        if method == "execute":
            execute(rid, params)
        elif method == "ping":
            send({"jsonrpc": "2.0", "id": rid, "result": {"pong": True}})
        else:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "unknown worker method %r" % method}})


main()
