namespace Gleitzeit.Core.Protocol;

/// <summary>JSON types a parameter accepts (flags: <c>String | Array</c> accepts either).</summary>
[Flags]
public enum ParameterType
{
    String = 1,
    Number = 2,
    Integer = 4,
    Boolean = 8,
    Array = 16,
    Object = 32,
    Any = String | Number | Integer | Boolean | Array | Object,
}
