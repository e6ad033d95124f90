namespace Gleitzeit.Core.Files;

/// <summary>
/// A file that <see cref="BoundedFile"/> would not or could not read. <see cref="Exception.Message"/> is the reason without the
/// path ("is a named pipe (FIFO), not a regular file ..."), for callers to put after the path and the parameter that named it.
/// </summary>
internal sealed class FileRefusedException(FileKind kind, string reason, Exception? innerException = null) : IOException(reason, innerException)
{
    /// <summary>What the path turned out to be (<see cref="FileKind.Regular"/> when it was too large or could not be read).</summary>
    public FileKind Kind { get; } = kind;

    /// <summary>True when the file was refused for being larger than the limit.</summary>
    public bool OverLimit { get; init; }
}
