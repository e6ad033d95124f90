using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Microsoft.AspNetCore.Http;

namespace Gleitzeit.Dashboard.Api;

/// <summary>The query string of <c>GET api/runs</c>: <c>status</c> (repeated or comma-separated), <c>name</c>, <c>limit</c>,
/// <c>after</c> (the last id of the previous page).</summary>
internal static class RunListQuery
{
    private static readonly string StatusNames = string.Join(", ", Enum.GetNames<WorkflowStatus>().Select(n => n.ToLowerInvariant()));

    /// <summary>The store query (asking one run more than the page, to know whether another page follows), or the problem.</summary>
    public static (RunQuery? Query, int Limit, string? Problem) Parse(IQueryCollection query, DashboardOptions options)
    {
        var statuses = new List<WorkflowStatus>();
        foreach (var value in query["status"])
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<WorkflowStatus>(part, ignoreCase: true, out var status) || int.TryParse(part, out _))
                {
                    return (null, 0, $"status '{Shorten(part)}' is not a run status; use one of {StatusNames}.");
                }
                statuses.Add(status);
            }
        }

        var limit = options.PageSize;
        if (query.TryGetValue("limit", out var limitText))
        {
            if (limitText.Count != 1 || !int.TryParse(limitText[0], out limit) || limit < 1 || limit > options.MaxPageSize)
            {
                return (null, 0, $"limit '{Shorten(limitText.ToString())}' is not a whole number from 1 to {options.MaxPageSize}.");
            }
        }

        var name = query["name"].ToString().Trim();
        var after = query["after"].ToString().Trim();
        if (after.Length > RunIds.MaxLength) return (null, 0, $"after is longer than {RunIds.MaxLength} characters; pass the last workflow_id of the previous page.");
        return (new RunQuery
        {
            Statuses = statuses.Distinct().ToList(),
            Name = name.Length == 0 ? null : name,
            After = after.Length == 0 ? null : after,
            Limit = limit + 1,
        }, limit, null);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
