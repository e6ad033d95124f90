namespace Gleitzeit.Core.Files;

/// <summary>What <see cref="UnixFiles.Probe"/> found at a path: its kind, its reported size (regular files), and why it could not be examined.</summary>
internal readonly record struct FileProbe(FileKind Kind, long Size = 0, string? Problem = null)
{
    /// <summary>How the kind reads in an error message: "a directory", "a named pipe (FIFO)", ...</summary>
    public string Describe() => Kind switch
    {
        FileKind.Missing => "missing",
        FileKind.DanglingLink => "a symbolic link whose target does not exist",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "something that cannot be examined",
    };
}
