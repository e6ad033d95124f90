namespace Gleitzeit.Core.Files;

/// <summary>What a path names, as <c>stat</c> sees it after following symbolic links.</summary>
internal enum FileKind
{
    /// <summary>Nothing there (or a folder on the way is missing).</summary>
    Missing,

    /// <summary>A symbolic link whose target does not exist (or a chain of links that loops).</summary>
    DanglingLink,

    Regular,
    Directory,

    /// <summary>A named pipe: opening it for reading waits for a writer, reading it waits for data.</summary>
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,

    /// <summary>Could not be examined (permission denied on a folder on the way, say).</summary>
    Unknown,
}
