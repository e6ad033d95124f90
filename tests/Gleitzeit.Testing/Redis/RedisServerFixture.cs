using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gleitzeit.Testing.Redis;

/// <summary>
/// A real Redis for tests: the server named by <c>GLEITZEIT_TEST_REDIS</c> (<c>host:port</c>) when set, else a
/// <c>redis-server</c> started on a free loopback port and shut down by <see cref="DisposeAsync"/>.
/// Give every test its own <see cref="NewKeyPrefix"/> so tests never see each other's keys.
/// </summary>
public sealed class RedisServerFixture : IAsyncDisposable
{
    public const string EnvironmentVariable = "GLEITZEIT_TEST_REDIS";

    private readonly string? _directory;
    private readonly string[] _extraArguments;

    private RedisServerFixture(string host, int port, bool owned, string? directory, string[] extraArguments)
    {
        Host = host;
        Port = port;
        IsOwned = owned;
        _directory = directory;
        _extraArguments = extraArguments;
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary><c>host:port</c>, usable as a StackExchange.Redis configuration string.</summary>
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when this fixture started the server (and so may stop and restart it).</summary>
    public bool IsOwned { get; }

    /// <summary>The shared server: <c>GLEITZEIT_TEST_REDIS</c>, else a new <c>redis-server</c>.</summary>
    public static async Task<RedisServerFixture> StartAsync(CancellationToken cancellationToken = default)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var colon = configured.LastIndexOf(':');
            var host = colon < 0 ? configured : configured[..colon];
            var port = colon < 0 ? 6379 : int.Parse(configured[(colon + 1)..], CultureInfo.InvariantCulture);
            var shared = new RedisServerFixture(host, port, owned: false, null, []);
            await shared.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return shared;
        }
        return await StartOwnAsync(durable: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Always starts a private <c>redis-server</c> (for tests that stop and restart it). With <paramref name="durable"/> it
    /// writes an append-only file synced on every write, so its data survives <see cref="StopServerAsync"/> + <see cref="StartServerAsync"/>.
    /// </summary>
    public static async Task<RedisServerFixture> StartOwnAsync(bool durable = false, CancellationToken cancellationToken = default)
    {
        var directory = Path.Combine(Path.GetTempPath(), "gleitzeit-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        string[] extra = durable ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        var fixture = new RedisServerFixture("127.0.0.1", FreePort(), owned: true, directory, extra);
        await fixture.StartServerAsync(cancellationToken).ConfigureAwait(false);
        return fixture;
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewKeyPrefix(string? name = null) => $"test:{name ?? "t"}:{Guid.NewGuid().ToString("N")[..12]}:";

    /// <summary>Starts the owned server (again) on the same port.</summary>
    public async Task StartServerAsync(CancellationToken cancellationToken = default)
    {
        EnsureOwned();
        var args = new List<string>
        {
            "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--daemonize", "yes",
            "--dir", _directory!, "--pidfile", PidFile, "--logfile", Path.Combine(_directory!, "redis.log"),
        };
        args.AddRange(_extraArguments);
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"redis-server could not be started ({ex.Message}). Install it (apt-get install redis-server) or set {EnvironmentVariable}=host:port.", ex);
        }
        using (process)
        {
            await process!.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var err = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {err}");
            }
        }
        await WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the owned server (the daemon started by this fixture, by its process id) and waits until it is gone.</summary>
    public async Task StopServerAsync(CancellationToken cancellationToken = default)
    {
        EnsureOwned();
        if (!File.Exists(PidFile)) return;
        var pid = int.Parse((await File.ReadAllTextAsync(PidFile, cancellationToken).ConfigureAwait(false)).Trim(), CultureInfo.InvariantCulture);
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        File.Delete(PidFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (!IsOwned) return;
        await StopServerAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory!, recursive: true);
        }
        catch (IOException)
        {
            // Temporary files; the OS cleans up.
        }
    }

    private string PidFile => Path.Combine(_directory!, "redis.pid");

    private void EnsureOwned()
    {
        if (!IsOwned) throw new InvalidOperationException($"This Redis ({Endpoint}) was not started by the fixture; use StartOwnAsync for a server a test may stop.");
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                var buffer = new byte[64];
                var n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                var reply = Encoding.ASCII.GetString(buffer, 0, n);
                if (reply.StartsWith("+PONG", StringComparison.Ordinal)) return;
                last = new InvalidOperationException("unexpected reply: " + reply.Trim());
            }
            catch (SocketException ex)
            {
                last = ex;
            }
            catch (IOException ex)
            {
                last = ex;
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"Redis at {Endpoint} did not answer PING: {last?.Message}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
