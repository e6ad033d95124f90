using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gleitzeit.Benchmarks;

/// <summary>A private redis-server on a free loopback port, no persistence; or the server GLEITZEIT_TEST_REDIS names. Killed on dispose.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process? _process;

    private RedisServer(string configuration, Process? process)
    {
        Configuration = configuration;
        _process = process;
    }

    /// <summary>The StackExchange.Redis configuration string.</summary>
    public string Configuration { get; }

    /// <summary>Starts a server, or returns null (with why in Missing) when there is none to start.</summary>
    public static async Task<(RedisServer? Server, string? Missing)> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable("GLEITZEIT_TEST_REDIS");
        if (!string.IsNullOrEmpty(configured)) return (new RedisServer(configured, null), null);
        var port = FreePort();
        Process? process;
        try
        {
            process = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
                { RedirectStandardOutput = true, RedirectStandardError = true });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "no redis-server on PATH and GLEITZEIT_TEST_REDIS not set");
        }
        if (process is null) return (null, "redis-server did not start");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        // Ready when it accepts a connection (bounded: 10 s).
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        return (new RedisServer($"127.0.0.1:{port}", process), null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
