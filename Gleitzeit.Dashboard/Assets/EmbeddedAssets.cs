using System.Collections.Frozen;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Gleitzeit.Dashboard.Assets;

/// <summary>The pages' files, read once from the assembly's resources and served with a strong ETag and a strict CSP.</summary>
internal sealed class EmbeddedAssets
{
    private const string ResourcePrefix = "Gleitzeit.Dashboard.wwwroot.";

    /// <summary>Only files of this assembly run, nothing inline; a string from a task can never become script or markup.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, (byte[] Bytes, string ETag)> _files;

    private readonly byte[] _index;

    public EmbeddedAssets(string prefix)
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var bytes = Read(assembly, name);
            files[name[ResourcePrefix.Length..]] = (bytes, "\"" + Convert.ToHexString(SHA256.HashData(bytes))[..16] + "\"");
        }
        _files = files.ToFrozenDictionary(StringComparer.Ordinal);
        var template = System.Text.Encoding.UTF8.GetString(_files["index.html"].Bytes);
        // The one value placed into the page by the server: the dashboard's own path (the application's, never a run's data).
        _index = System.Text.Encoding.UTF8.GetBytes(template.Replace("{{BASE}}", WebUtility.HtmlEncode(prefix + "/"), StringComparison.Ordinal));
    }

    public IResult Index(HttpContext http)
    {
        Secure(http.Response);
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Bytes(_index, ContentTypes[".html"]);
    }

    public IResult File(string name, HttpContext http)
    {
        if (!_files.TryGetValue(name, out var file) || name == "index.html") return Results.NotFound();
        Secure(http.Response);
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ETag = file.ETag;
        if (http.Request.Headers.IfNoneMatch == file.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(file.Bytes, ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"));
    }

    private static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
