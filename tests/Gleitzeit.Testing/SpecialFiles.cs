using System.Diagnostics;
using System.Net.Sockets;

namespace Gleitzeit.Testing;

/// <summary>Files that are not regular files, for tests of what reads files: named pipes and Unix sockets.</summary>
public static class SpecialFiles
{
    /// <summary>Creates a named pipe (FIFO) at <paramref name="path"/> with <c>mkfifo</c>. Nothing ever writes to it.</summary>
    public static string MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { path }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start mkfifo");
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"mkfifo {path} exited with {process.ExitCode}");
        return path;
    }

    /// <summary>Binds a Unix domain socket at <paramref name="path"/> (the socket file stays until deleted); dispose the socket when done.</summary>
    public static Socket MakeSocket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
