using System.ComponentModel;
using System.Globalization;

namespace Seedream.DevHost;

/// <summary>Converts route values to the types of the function parameters named after them.</summary>
internal static class RouteValueBinder
{
    public static TypeConverter? ConverterFor(Type type)
    {
        var converter = TypeDescriptor.GetConverter(type);
        return converter.CanConvertFrom(typeof(string)) ? converter : null;
    }

    /// <summary>False when the text cannot be converted (the caller answers 400).</summary>
    public static bool TryConvert(string? text, Type type, out object? value)
    {
        if (text is null)
        {
            value = null;
            return !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;
        }

        try
        {
            value = ConverterFor(type)!.ConvertFromString(null, CultureInfo.InvariantCulture, text);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException || exception.InnerException is FormatException or OverflowException)
        {
            value = null;
            return false;
        }
    }
}
