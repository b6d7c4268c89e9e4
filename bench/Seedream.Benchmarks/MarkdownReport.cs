using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Seedream.Benchmarks;

/// <summary>Writes one harness's results into its own marked section of docs/benchmarks.md, leaving the rest as it is.</summary>
internal static class MarkdownReport
{
    public static async Task WriteSectionAsync(string path, string sectionId, string markdown, CancellationToken cancellationToken)
    {
        var begin = $"<!-- bench:{sectionId}:begin -->";
        var end = $"<!-- bench:{sectionId}:end -->";
        var section = $"{begin}\n{markdown.TrimEnd()}\n{end}";
        var document = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : "# Benchmarks\n";
        var start = document.IndexOf(begin, StringComparison.Ordinal);
        var stop = document.IndexOf(end, StringComparison.Ordinal);
        document = start >= 0 && stop > start
            ? document[..start] + section + document[(stop + end.Length)..]
            : document.TrimEnd() + "\n\n" + section + "\n";
        await File.WriteAllTextAsync(path, document, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The machine line every figure carries: cores, memory, OS, CPU and .NET version.</summary>
    public static string Machine()
    {
        var memory = File.ReadLines("/proc/meminfo").FirstOrDefault(line => line.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memoryGiB = memory is null ? "?" : (long.Parse(memory.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024).ToString("0.0", CultureInfo.InvariantCulture);
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return $"{Environment.ProcessorCount} cores ({cpu}), {memoryGiB} GiB RAM, {os ?? RuntimeInformation.OSDescription} (kernel {Environment.OSVersion.Version}), {RuntimeInformation.FrameworkDescription}";
    }

    public static string Command(IEnumerable<string> arguments) =>
        "dotnet run -c Release --project bench/Seedream.Benchmarks -- " + string.Join(' ', arguments);

    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", headers).AppendLine(" |");
        text.Append('|').AppendJoin('|', headers.Select(_ => " --- ")).AppendLine("|");
        foreach (var row in rows)
        {
            text.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        return text.ToString();
    }

    public static string Format(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
