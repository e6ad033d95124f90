namespace Gleitzeit.Core.Protocol;

/// <summary>One problem with a task's parameters: the parameter path it concerns (<c>temprature</c>,
/// <c>response_format.schema</c>; null for the parameters as a whole) and what is wrong.</summary>
public sealed record ParameterProblem(string? Parameter, string Message);
