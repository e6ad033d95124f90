using Microsoft.Win32.SafeHandles;

namespace Gleitzeit.Core.Files;

/// <summary>
/// Reads whole files that come from task parameters or batch folders, safely: only regular files (a FIFO, a device such as
/// <c>/dev/zero</c>, a socket or a directory is refused with the reason, also behind a symbolic link), never more than a limit
/// counted while reading (a device reports length 0; a file may grow), and never past the caller's cancellation.
/// </summary>
internal static class BoundedFile
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// The bytes of <paramref name="path"/>, at most <paramref name="maxBytes"/> of them. Throws <see cref="FileRefusedException"/>
    /// (reason without the path) when it is not a regular file, is larger than the limit or cannot be read, and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<byte[]> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var probe = CheckRegular(path);
        if (probe.Size > maxBytes) throw TooLarge(maxBytes, probe.Size);

        using var handle = await OpenAsync(path, cancellationToken).ConfigureAwait(false);
        // One byte past the limit tells "exactly the limit" from "larger"; the reported size only sizes the first buffer.
        var limit = (int)Math.Min(maxBytes + 1, Array.MaxLength);
        var buffer = new byte[(int)Math.Min(limit, Math.Max(probe.Size + 1, ChunkSize))];
        var total = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (total == buffer.Length)
                {
                    if (buffer.Length >= limit) break;
                    Array.Resize(ref buffer, (int)Math.Min(limit, (long)buffer.Length * 2));
                }
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(total, Math.Min(buffer.Length - total, ChunkSize)), total, cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                total += read;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not FileRefusedException)
        {
            throw new FileRefusedException(FileKind.Regular, $"cannot be read: {ex.Message}", ex);
        }
        if (total > maxBytes) throw TooLarge(maxBytes, null);
        return total == buffer.Length ? buffer : buffer.AsSpan(0, total).ToArray();
    }

    /// <summary>Probes <paramref name="path"/> and throws <see cref="FileRefusedException"/> unless it is a regular file (after symbolic links).</summary>
    public static FileProbe CheckRegular(string path)
    {
        var probe = UnixFiles.Probe(path);
        return probe.Kind == FileKind.Regular ? probe : throw UnixFiles.NotRegular(probe);
    }

    private static async Task<SafeFileHandle> OpenAsync(string path, CancellationToken cancellationToken)
    {
        if (UnixFiles.OpensWithoutBlocking) return UnixFiles.OpenRegular(path);
        // Where a FIFO cannot be told from a file, the open may block: wait for it off this thread, and give up on cancellation.
        var open = Task.Run(() => UnixFiles.OpenRegular(path), CancellationToken.None);
        try
        {
            return await open.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = open.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private static FileRefusedException TooLarge(long maxBytes, long? size) =>
        new(FileKind.Regular, size is { } s
            ? $"is {s} bytes; the limit is {maxBytes} bytes"
            : $"is larger than the limit of {maxBytes} bytes (more was read than its reported size)")
        {
            OverLimit = true,
        };
}
