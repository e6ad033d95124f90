namespace Gleitzeit.Core.Llm;

/// <summary>Recognises the image formats vision models take (png, jpeg, gif, webp) by their first bytes, else by file extension.</summary>
internal static class ImageMediaTypes
{
    public static string? Detect(ReadOnlySpan<byte> data, string? fileName = null)
    {
        if (data.StartsWith("\x89PNG\r\n\x1a\n"u8)) return "image/png";
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return "image/jpeg";
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return "image/gif";
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        return Path.GetExtension(fileName ?? "").ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".webp" => "image/webp",
            _ => null,
        };
    }
}
