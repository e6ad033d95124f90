using System.Globalization;
using System.Text;
using Gleitzeit.Core;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// One multiplexed connection shared by the store, the queue and the worker. Connects on first use; after that
/// StackExchange.Redis reconnects by itself. Connection failures become PERSISTENCE_CONNECTION_FAILED naming the endpoint.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    public RedisConnection(RedisStoreOptions options)
    {
        RedisStoreOptionsValidator.Instance.ThrowIfInvalid(options, nameof(options));
        Keys = new RedisKeys(options.KeyPrefix ?? "");
        _configuration = ParseConfiguration(options.Configuration);
        _configuration.AbortOnConnectFail = true;
        _configuration.ConnectTimeout = (int)Math.Clamp(options.ConnectTimeout.TotalMilliseconds, 100, int.MaxValue);
        _configuration.ConnectRetry = 1;
        if (_configuration.EndPoints.Count == 0) _configuration.EndPoints.Add("localhost", 6379);
        Endpoint = string.Join(", ", _configuration.EndPoints.Select(FormatEndpoint));
    }

    public RedisKeys Keys { get; }

    /// <summary>The server(s), as people write them: <c>127.0.0.1:6379</c>.</summary>
    public string Endpoint { get; }

    public async ValueTask<IDatabase> GetDatabaseAsync() => (await ConnectAsync().ConfigureAwait(false)).GetDatabase();

    public async ValueTask<ISubscriber> GetSubscriberAsync() => (await ConnectAsync().ConfigureAwait(false)).GetSubscriber();

    public async ValueTask<ConnectionMultiplexer> ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _multiplexer) is { } ready) return ready;
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_multiplexer is not null) return _multiplexer;
            try
            {
                _multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or System.Net.Sockets.SocketException)
            {
                throw new GleitzeitException(GleitzeitErrorCode.PersistenceConnectionFailed,
                    $"Cannot connect to Redis at {Endpoint}: {FirstLine(ex.Message)}. Start redis-server there, or point the configuration " +
                    "(AddRedis(o => o.Configuration = \"host:port\"), or GLEITZEIT_REDIS_URL for the CLI) at a running server.", ex);
            }
            return _multiplexer;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Calls of <see cref="RunAsync{T}"/> so far: each is one command or one pipelined batch, that is one round trip.</summary>
    internal long RoundTrips => Interlocked.Read(ref _roundTrips);

    private long _roundTrips;

    /// <summary>
    /// Runs a command (or one pipelined batch of them), turning a lost or failed connection into PERSISTENCE_CONNECTION_FAILED.
    /// A token cancelled before the command is sent sends nothing; cancelled while it is under way, the caller stops
    /// waiting (Redis cannot take a command back: a write sent may still be applied).
    /// </summary>
    public async ValueTask<T> RunAsync<T>(Func<IDatabase, Task<T>> command, string what, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var db = cancellationToken.CanBeCanceled
            ? await GetDatabaseAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false)
            : await GetDatabaseAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _roundTrips);
        try
        {
            var pending = command(db);
            return cancellationToken.CanBeCanceled
                ? await pending.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Unreachable(what, ex);
        }
    }

    public GleitzeitException Unreachable(string what, Exception ex) =>
        new(GleitzeitErrorCode.PersistenceConnectionFailed, $"Redis at {Endpoint} is unreachable ({what}): {FirstLine(ex.Message)}", ex);

    public static bool IsConnectionFailure(Exception ex) =>
        ex is RedisConnectionException or RedisTimeoutException
        || (ex is GleitzeitException g && g.Code == GleitzeitErrorCode.PersistenceConnectionFailed);

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_multiplexer is { } m) await m.DisposeAsync().ConfigureAwait(false);
        _connectGate.Dispose();
    }

    /// <summary>Accepts a StackExchange.Redis configuration string or a <c>redis://</c> / <c>rediss://</c> URL.</summary>
    internal static ConfigurationOptions ParseConfiguration(string? configuration)
    {
        var text = configuration?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            throw new GleitzeitException(GleitzeitErrorCode.ConfigurationError, "The Redis configuration is empty; set it to \"host:port\" or \"redis://host:port/db\".");
        }
        if (!text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return ConfigurationOptions.Parse(text);
            }
            catch (ArgumentException ex)
            {
                throw new GleitzeitException(GleitzeitErrorCode.ConfigurationError, $"Invalid Redis configuration '{text}': {ex.Message}", ex);
            }
        }
        return ConfigurationOptions.Parse(UrlToConfiguration(text));
    }

    /// <summary><c>redis://[[user]:password@]host[:port][/db]</c> to <c>host:port,user=..,password=..,defaultDatabase=db[,ssl=true]</c>.</summary>
    internal static string UrlToConfiguration(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new GleitzeitException(GleitzeitErrorCode.ConfigurationError,
                $"Invalid Redis URL '{url}': expected redis://[:password@]host[:port][/db], e.g. redis://localhost:6379/0.");
        }
        var sb = new StringBuilder();
        sb.Append(uri.Host).Append(':').Append(uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? "" : uri.UserInfo[..colon]);
            var password = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
            if (user.Length > 0) sb.Append(",user=").Append(Quote(user));
            if (password.Length > 0) sb.Append(",password=").Append(Quote(password));
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var db))
            {
                throw new GleitzeitException(GleitzeitErrorCode.ConfigurationError, $"Invalid Redis URL '{url}': the path '/{path}' must be a database number, e.g. /0.");
            }
            sb.Append(",defaultDatabase=").Append(db.ToString(CultureInfo.InvariantCulture));
        }
        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase)) sb.Append(",ssl=true");
        return sb.ToString();
    }

    // Commas and equals signs separate configuration options; StackExchange.Redis has no escape, so refuse them clearly.
    private static string Quote(string value) =>
        value.Contains(',', StringComparison.Ordinal)
            ? throw new GleitzeitException(GleitzeitErrorCode.ConfigurationError, "A Redis password or user name containing ',' cannot be given in a URL; use the configuration string form with ConfigurationOptions.")
            : value;

    private static string FormatEndpoint(System.Net.EndPoint endpoint) => endpoint switch
    {
        System.Net.DnsEndPoint d => $"{d.Host}:{(d.Port == 0 ? 6379 : d.Port)}",
        System.Net.IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? "?",
    };

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return (i < 0 ? message : message[..i]).TrimEnd('.');
    }
}
