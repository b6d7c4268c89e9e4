using System.Globalization;
using System.Text.RegularExpressions;

namespace SeedreamEmulator;

/// <summary>What the emulated model "reads" from a prompt: an explicit image count, an aspect ratio, an injected fault.</summary>
internal static partial class PromptHints
{
    private const string ChineseDigits = "零一二三四五六七八九";

    [GeneratedRegex(@"(\d{1,2})\s*(?:张|幅|images?\b|pictures?\b|photos?\b|pics?\b)", RegexOptions.IgnoreCase)]
    private static partial Regex DigitCount();

    [GeneratedRegex(@"([一二两三四五六七八九十]{1,3})\s*(?:张|幅)")]
    private static partial Regex ChineseCount();

    [GeneratedRegex(@"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{1,2})(?!\d)")]
    private static partial Regex Ratio();

    [GeneratedRegex(@"\[emulator-fault:([^\]]+)\]")]
    private static partial Regex Fault();

    /// <summary>"生成3张…", "三张", "3 images" → 3.</summary>
    public static int? ImageCount(string prompt)
    {
        var digits = DigitCount().Match(prompt);
        if (digits.Success && int.TryParse(digits.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
        {
            return count;
        }

        var chinese = ChineseCount().Match(prompt);
        return chinese.Success ? ParseChineseNumber(chinese.Groups[1].Value) : null;
    }

    /// <summary>A "16:9"-style ratio hint as width/height, or null.</summary>
    public static (int Width, int Height)? AspectRatio(string prompt)
    {
        foreach (Match match in Ratio().Matches(prompt))
        {
            var width = int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            var height = int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
            if (width > 0 && height > 0)
            {
                return (width, height);
            }
        }

        return null;
    }

    /// <summary>The spec of an <c>[emulator-fault:…]</c> marker, or null.</summary>
    public static string? FaultSpec(string prompt)
    {
        var match = Fault().Match(prompt);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static int? ParseChineseNumber(string text)
    {
        var tenIndex = text.IndexOf('十', StringComparison.Ordinal);
        if (tenIndex < 0)
        {
            return text.Length == 1 ? DigitValue(text[0]) : null;
        }

        var tens = tenIndex == 0 ? 1 : DigitValue(text[0]);
        var units = tenIndex == text.Length - 1 ? 0 : DigitValue(text[^1]);
        return tens is null || units is null ? null : tens * 10 + units;
    }

    private static int? DigitValue(char digit) => digit switch
    {
        '两' => 2,
        _ => ChineseDigits.IndexOf(digit, StringComparison.Ordinal) is var index and > 0 ? index : null,
    };
}
