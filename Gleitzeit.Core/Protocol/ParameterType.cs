namespace Gleitzeit.Core.Protocol;

/// <summary>JSON types a parameter accepts (flags: <c>String | Array</c> accepts either).</summary>
[Flags]
public enum ParameterType
{
    /// <summary>A JSON string.</summary>
    String = 1,
    /// <summary>A JSON number (integer or not).</summary>
    Number = 2,
    /// <summary>A JSON number without a fractional part.</summary>
    Integer = 4,
    /// <summary>A JSON true or false.</summary>
    Boolean = 8,
    /// <summary>A JSON array.</summary>
    Array = 16,
    /// <summary>A JSON object.</summary>
    Object = 32,
    /// <summary>Any JSON value except null.</summary>
    Any = String | Number | Integer | Boolean | Array | Object,
}
