using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gleitzeit.Persistence.Redis;

namespace Gleitzeit.Benchmarks;

/// <summary>The Redis store under the in-process engine, against a private redis-server on a free port (no persistence).</summary>
internal static class RedisRuns
{
    public static async Task MeasureAsync(Report report, Dag dag, int runs)
    {
        var configured = Environment.GetEnvironmentVariable("GLEITZEIT_TEST_REDIS");
        Process? server = null;
        if (string.IsNullOrEmpty(configured))
        {
            var port = FreePort();
            try
            {
                server = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
                    { RedirectStandardOutput = true, RedirectStandardError = true });
            }
            catch (System.ComponentModel.Win32Exception)
            {
                report.Note("Redis: skipped — no redis-server on PATH and GLEITZEIT_TEST_REDIS not set");
                return;
            }
            configured = $"redis://127.0.0.1:{port}/0";
            await Task.Delay(300);
        }
        try
        {
            var s = await GleitzeitRuns.MeasureAsync(dag, 1, runs, () => new RedisWorkflowStore(new RedisStoreOptions { Configuration = configured! }));
            report.Add("4 stores", $"Redis store chain {dag.Count:N0} (in-process engine)", s);
            report.Note("Redis: store only; the distributed queue with 1 and 2 GleitzeitWorker processes is not measured yet");
        }
        finally
        {
            if (server is not null)
            {
                server.Kill();
                await server.WaitForExitAsync();
                server.Dispose();
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
