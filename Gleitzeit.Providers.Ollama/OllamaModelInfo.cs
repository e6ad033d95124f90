namespace Gleitzeit.Providers.Ollama;

/// <summary>A model installed in Ollama, as <c>/api/tags</c> lists it.</summary>
/// <param name="Name">Name with tag, e.g. <c>llama3.2:latest</c>.</param>
/// <param name="Size">Size on disk in bytes.</param>
/// <param name="ModifiedAt">When it was pulled or changed.</param>
/// <param name="Family">Model family, e.g. <c>llama</c>.</param>
/// <param name="ParameterSize">e.g. <c>3.2B</c>.</param>
/// <param name="QuantizationLevel">e.g. <c>Q4_K_M</c>.</param>
/// <param name="Digest">Content digest.</param>
public sealed record OllamaModelInfo(string Name, long Size, DateTimeOffset? ModifiedAt, string? Family, string? ParameterSize, string? QuantizationLevel, string? Digest);
