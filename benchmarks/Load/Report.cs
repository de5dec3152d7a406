using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Benchmarks.Load;

/// <summary>The markdown report: machine, sections with tables, targets. Everything added is also printed.</summary>
public sealed class Report
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Target, string Measured, bool? Met)> _targets = [];

    public void Heading(string title, string? text = null)
    {
        Line($"\n## {title}\n");
        if (text is not null) Line(text + "\n");
    }

    public void Line(string line)
    {
        _text.AppendLine(line);
        Console.WriteLine(line);
    }

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Line("| " + string.Join(" | ", headers) + " |");
        Line("|" + string.Concat(headers.Select(h => h.Length > 0 && char.IsDigit(h[0]) ? "---:|" : "---|")));
        foreach (var row in rows) Line("| " + string.Join(" | ", row) + " |");
        Line("");
    }

    public void Target(string target, string measured, bool? met) => _targets.Add((target, measured, met));

    public string Render(string header)
    {
        var targets = new StringBuilder();
        targets.AppendLine("\n## Targets\n");
        targets.AppendLine("| Target | Measured | Met |");
        targets.AppendLine("|---|---|---|");
        foreach (var (t, m, met) in _targets) targets.AppendLine($"| {t} | {m} | {(met is null ? "n/a" : met.Value ? "yes" : "**no**")} |");
        Console.WriteLine(targets.ToString());
        return header + targets + _text;
    }

    public static string Machine(string repoRoot, string? note)
    {
        var sb = new StringBuilder();
        string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
        var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) is { } m
            ? long.Parse(m.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) : 0;
        var os = Read("/etc/os-release").Split('\n').FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription;
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Commit: {Git(repoRoot, "rev-parse --short HEAD")}{(Git(repoRoot, "status --porcelain --untracked-files=no").Length > 0 ? " (with uncommitted changes)" : "")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {cpu}, {Environment.ProcessorCount} logical cores");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Memory: {memKb / 1024.0 / 1024.0:F1} GiB");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- OS: {os}, kernel {Read("/proc/sys/kernel/osrelease").Trim()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Load average at start: {Read("/proc/loadavg").Trim()}");
        if (note is not null) sb.AppendLine(CultureInfo.InvariantCulture, $"- Note: {note}");
        return sb.ToString();
    }

    /// <summary>The busiest other processes (by CPU since their start): shows what else shared the machine.</summary>
    public static string OtherWork()
    {
        try
        {
            var info = new ProcessStartInfo("ps", ["-eo", "pcpu,rss,comm", "--sort=-pcpu"]) { RedirectStandardOutput = true };
            using var ps = Process.Start(info)!;
            var lines = ps.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(6);
            ps.WaitForExit(5_000);
            return string.Join("; ", lines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "(ps unavailable)";
        }
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "";

    private static string Git(string repoRoot, string args)
    {
        try
        {
            var info = new ProcessStartInfo("git", args.Split(' ')) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repoRoot };
            using var git = Process.Start(info)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(5_000);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    public static string Mb(double bytes) => (bytes / 1024 / 1024).ToString("F1", CultureInfo.InvariantCulture);
    public static string N(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);
    public static string Ms(double seconds) => (seconds * 1000).ToString(seconds < 0.01 ? "F3" : "F1", CultureInfo.InvariantCulture);
    public static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture) + "×";
}
