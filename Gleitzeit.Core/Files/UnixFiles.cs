using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Gleitzeit.Core.Files;

/// <summary>
/// File type checks and non-blocking opens. .NET has no API for a file's type (a FIFO or a device looks like a file of length 0),
/// and opening a FIFO for reading blocks in <c>open(2)</c> until a writer appears, beyond the reach of any cancellation token.
/// On Linux this asks <c>statx(2)</c> and opens with <c>O_NONBLOCK</c>; elsewhere it falls back to what .NET can tell.
/// </summary>
internal static class UnixFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int ENoSys = 38;
    private const int ELoop = 40;
    private const int StatxBufferSize = 256;
    private const int ModeOffset = 28;
    private const int SizeOffset = 40;

    private static volatile bool s_native = OperatingSystem.IsLinux();

    /// <summary>What <paramref name="path"/> is, following symbolic links; never throws for a path that cannot be examined.</summary>
    public static FileProbe Probe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0', StringComparison.Ordinal)) return new FileProbe(FileKind.Unknown, 0, "the path contains a NUL character");
        if (s_native)
        {
            try
            {
                if (NativeProbe(path) is { } probe) return probe;
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_native = false;
            }
        }
        return ManagedProbe(path);
    }

    /// <summary>
    /// Opens a regular file for reading without ever blocking in <c>open(2)</c>, and checks again on the open handle that it is a
    /// regular file (it may have been swapped for a FIFO since it was probed). Throws <see cref="FileRefusedException"/>.
    /// </summary>
    public static SafeFileHandle OpenRegular(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0', StringComparison.Ordinal)) throw new FileRefusedException(FileKind.Unknown, "cannot be opened: the path contains a NUL character");
        if (s_native)
        {
            try
            {
                return NativeOpen(path);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_native = false;
            }
        }
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FileRefusedException(FileKind.Regular, $"cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>True when a probe can tell FIFOs and devices from regular files here (Linux); elsewhere opens may block and are run off the caller's thread.</summary>
    public static bool OpensWithoutBlocking => s_native;

    private static FileProbe? NativeProbe(string path)
    {
        var buffer = new byte[StatxBufferSize];
        var name = CString(path);
        if (StatX(AtFdCwd, name, 0, StatxType | StatxSize, buffer) == 0) return FromStatx(buffer);
        var errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case ENoSys:
                s_native = false;
                return null;
            case ENoEnt or ELoop:
                if (StatX(AtFdCwd, name, AtSymlinkNoFollow, StatxType, buffer) == 0 && (Mode(buffer) & 0xF000) == 0xA000)
                {
                    return new FileProbe(FileKind.DanglingLink, 0, errno == ELoop ? "its chain of symbolic links loops" : LinkProblem(path));
                }
                return new FileProbe(FileKind.Missing);
            case ENotDir:
                return new FileProbe(FileKind.Missing);
            default:
                return new FileProbe(FileKind.Unknown, 0, Marshal.GetPInvokeErrorMessage(errno));
        }
    }

    private static SafeFileHandle NativeOpen(string path)
    {
        var fd = Open(CString(path), ONonBlock | ONoCtty | OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno is ENoEnt or ENotDir
                ? new FileRefusedException(FileKind.Missing, "was not found (it was removed or replaced while the task ran)")
                : new FileRefusedException(FileKind.Regular, $"cannot be read: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var buffer = new byte[StatxBufferSize];
            if (StatX(fd, [0], AtEmptyPath, StatxType | StatxSize, buffer) != 0)
            {
                throw new FileRefusedException(FileKind.Unknown, $"cannot be examined: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            var probe = FromStatx(buffer);
            if (probe.Kind != FileKind.Regular) throw NotRegular(probe);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The refusal for a path that is not a regular file, saying what it is and what to do.</summary>
    public static FileRefusedException NotRegular(FileProbe probe) => probe.Kind switch
    {
        FileKind.Missing => new(probe.Kind, "was not found"),
        FileKind.DanglingLink => new(probe.Kind, $"is a symbolic link whose target does not exist{(probe.Problem is { } p ? $" ({p})" : "")}"),
        FileKind.Directory => new(probe.Kind, "is a directory, not a file"),
        FileKind.Fifo => new(probe.Kind, "is a named pipe (FIFO), not a regular file: reading it could wait forever; give a regular file"),
        FileKind.CharacterDevice or FileKind.BlockDevice => new(probe.Kind, $"is {probe.Describe()}, not a regular file: it may never end; give a regular file"),
        FileKind.Socket => new(probe.Kind, "is a socket, not a regular file; give a regular file"),
        FileKind.Unknown => new(probe.Kind, $"cannot be examined: {probe.Problem ?? "unknown error"}"),
        _ => new(probe.Kind, $"is {probe.Describe()}"),
    };

    private static FileProbe FromStatx(byte[] buffer)
    {
        var kind = (Mode(buffer) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
        var size = (long)Math.Min(BitConverter.ToUInt64(buffer, SizeOffset), long.MaxValue);
        return new FileProbe(kind, kind == FileKind.Regular ? size : 0, kind == FileKind.Unknown ? "unknown file type" : null);
    }

    private static int Mode(byte[] buffer) => BitConverter.ToUInt16(buffer, ModeOffset);

    private static FileProbe ManagedProbe(string path)
    {
        try
        {
            if (Directory.Exists(path)) return new FileProbe(FileKind.Directory);
            var info = new FileInfo(path);
            if (info.Exists) return new FileProbe(FileKind.Regular, info.Length);
            return info.LinkTarget is not null ? new FileProbe(FileKind.DanglingLink, 0, LinkProblem(path)) : new FileProbe(FileKind.Missing);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new FileProbe(FileKind.Unknown, 0, ex.Message);
        }
    }

    private static string? LinkProblem(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is { } target ? $"it points to '{target}'" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static byte[] CString(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatX(int dirFd, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);
}
