using System.CommandLine;
using Gateway.Server.Auth;

namespace Gateway.Server.Cli;

/// <summary>
/// <c>gateway user add|groups|remove|list</c>: manages the password file the gateway reads. Output goes through the
/// invocation's writers so tests can run the commands in-process.
/// </summary>
public static class UserCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo>("--file", "-f")
        {
            Description = "Password file (default ./data/users.txt).",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("data", "users.txt")),
        };
        var name = new Argument<string>("name") { Description = "User name." };
        var password = new Option<string?>("--password") { Description = "Password; read from standard input when omitted (one line)." };
        var iterations = new Option<int>("--iterations") { Description = "PBKDF2-SHA256 iterations.", DefaultValueFactory = _ => PasswordHash.DefaultIterations };
        var addGroups = new Option<string?>("--groups")
        {
            Description = "The user's groups, comma separated, primary first (e.g. finance,analysts). Omitted: a new user has none, an existing one keeps theirs.",
        };

        var add = new Command("add", "Add a user or change its password.") { name, password, addGroups, file, iterations };
        add.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var user = parse.GetValue(name)!;
            try
            {
                PasswordFile.ValidateUserName(user);
            }
            catch (ArgumentException ex)
            {
                error.WriteLine(ex.Message);
                return 2;
            }
            IReadOnlyList<string>? groups = null;
            if (parse.GetValue(addGroups) is { } groupText && !TryGroups([groupText], error, out groups)) return 2;
            var pw = parse.GetValue(password);
            if (pw is null)
            {
                if (!Console.IsInputRedirected) error.Write($"Password for {user}: ");
                pw = Console.ReadLine();
            }
            if (string.IsNullOrEmpty(pw))
            {
                error.WriteLine("A password is required.");
                return 2;
            }
            var path = parse.GetValue(file)!.FullName;
            if (!TryRead(path, error, out var users)) return 1;
            var existed = users.TryGetValue(user, out var previous);
            users[user] = new PasswordEntry(PasswordHash.Create(pw, parse.GetValue(iterations)), groups ?? previous?.Groups ?? []);
            PasswordFile.Write(path, users);
            output.WriteLine($"{(existed ? "Updated" : "Added")} user '{user}' in {path}{Describe(users[user].Groups)}");
            return 0;
        });

        var groupsName = new Argument<string>("name") { Description = "User name." };
        var groupList = new Argument<string[]>("groups")
        {
            Description = "The new groups, primary first (separate arguments, or comma separated). None: show the user's groups.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var clear = new Option<bool>("--clear") { Description = "Remove all of the user's groups." };
        var groupsCommand = new Command("groups", "Show or set a user's groups (replacing the ones before).") { groupsName, groupList, clear, file };
        groupsCommand.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var user = parse.GetValue(groupsName)!;
            var path = parse.GetValue(file)!.FullName;
            var given = parse.GetValue(groupList) ?? [];
            if (parse.GetValue(clear) && given.Length > 0)
            {
                error.WriteLine("Give groups or --clear, not both.");
                return 2;
            }
            if (!TryRead(path, error, out var users)) return 1;
            if (!users.TryGetValue(user, out var entry))
            {
                error.WriteLine($"No user '{user}' in {path}");
                return 1;
            }
            if (given.Length == 0 && !parse.GetValue(clear))
            {
                foreach (var g in entry.Groups) output.WriteLine(g);
                return 0;
            }
            IReadOnlyList<string> groups = [];
            if (given.Length > 0 && !TryGroups(given, error, out groups)) return 2;
            users[user] = entry with { Groups = groups };
            PasswordFile.Write(path, users);
            output.WriteLine($"Set the groups of '{user}' in {path}{Describe(groups)}");
            return 0;
        });

        var removeName = new Argument<string>("name") { Description = "User name." };
        var remove = new Command("remove", "Remove a user.") { removeName, file };
        remove.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            if (!TryRead(path, parse.InvocationConfiguration.Error, out var users)) return 1;
            if (!users.Remove(parse.GetValue(removeName)!))
            {
                parse.InvocationConfiguration.Error.WriteLine($"No user '{parse.GetValue(removeName)}' in {path}");
                return 1;
            }
            PasswordFile.Write(path, users);
            parse.InvocationConfiguration.Output.WriteLine($"Removed user '{parse.GetValue(removeName)}'");
            return 0;
        });

        var list = new Command("list", "List users, each followed by a tab and its groups when it has any.") { file };
        list.SetAction(parse =>
        {
            if (!TryRead(parse.GetValue(file)!.FullName, parse.InvocationConfiguration.Error, out var users)) return 1;
            foreach (var (user, entry) in users.OrderBy(u => u.Key, StringComparer.Ordinal))
            {
                parse.InvocationConfiguration.Output.WriteLine(entry.Groups.Count == 0 ? user : $"{user}\t{string.Join(',', entry.Groups)}");
            }
            return 0;
        });

        return new Command("user", "Manage the users of the password file (Gateway:Auth:Mode=PasswordFile).") { add, groupsCommand, remove, list };
    }

    private static bool TryRead(string path, TextWriter error, out Dictionary<string, PasswordEntry> users)
    {
        try
        {
            users = PasswordFile.Read(path);
            return true;
        }
        catch (InvalidDataException ex)
        {
            error.WriteLine($"The password file does not parse: {ex.Message}");
            users = [];
            return false;
        }
    }

    /// <summary>Groups from arguments, each one group or a comma separated list; a warning beyond the default limits (the gateway's may differ).</summary>
    private static bool TryGroups(IEnumerable<string> arguments, TextWriter error, out IReadOnlyList<string> groups)
    {
        var text = string.Join(',', arguments);
        if (!PasswordFile.TryParseGroups(text, out groups, out var problem))
        {
            error.WriteLine($"Invalid groups: {problem}.");
            return false;
        }
        if (!GroupLimits.Default.TryNormalize(groups, out _, out var limit))
        {
            error.WriteLine($"Warning: {limit}, beyond the default limits; the gateway refuses this user unless Gateway:Auth:MaxGroups and MaxGroupLength allow it.");
        }
        return true;
    }

    private static string Describe(IReadOnlyList<string> groups) => groups.Count == 0 ? " (no groups)" : $" (groups: {string.Join(", ", groups)})";
}
