namespace Gleitzeit.Core.Persistence;

/// <summary>
/// Who executes a run: one process owns a running run at a time. The owner renews its lease while it lives (a heartbeat
/// of the engine) and releases it when the run ends or is interrupted; a lease not renewed past <see cref="ExpiresAt"/>
/// may be taken over.
/// </summary>
/// <param name="Owner">Unique id of the owning engine (host, process id and an instance id).</param>
/// <param name="Host">Machine name of the owner, for messages (and to tell whether a same-host owner still lives).</param>
/// <param name="ProcessId">Process id of the owner.</param>
/// <param name="ExpiresAt">When the lease ends unless renewed.</param>
public sealed record RunLease(string Owner, string Host, int ProcessId, DateTimeOffset ExpiresAt);
