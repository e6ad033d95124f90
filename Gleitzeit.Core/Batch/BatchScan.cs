namespace Gleitzeit.Core.Batch;

/// <summary>What a batch folder walk found: the files to process (full paths, sorted by relative path) and the matching
/// entries it would not take, each with the reason (a link out of the folder).</summary>
internal sealed record BatchScan(IReadOnlyList<string> Files, IReadOnlyList<(string Path, string Reason)> Refused);
