using System.CommandLine;
using Gateway.Server.Auth;

namespace Gateway.Server.Cli;

/// <summary><c>gateway user add|remove|list</c>: manages the password file the gateway reads.</summary>
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

        var add = new Command("add", "Add a user or change its password.") { name, password, file, iterations };
        add.SetAction(parse =>
        {
            var user = parse.GetValue(name)!;
            try
            {
                PasswordFile.ValidateUserName(user);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }
            var pw = parse.GetValue(password);
            if (pw is null)
            {
                if (!Console.IsInputRedirected) Console.Error.Write($"Password for {user}: ");
                pw = Console.ReadLine();
            }
            if (string.IsNullOrEmpty(pw))
            {
                Console.Error.WriteLine("A password is required.");
                return 2;
            }
            var path = parse.GetValue(file)!.FullName;
            var users = PasswordFile.Read(path);
            var existed = users.ContainsKey(user);
            users[user] = PasswordHash.Create(pw, parse.GetValue(iterations));
            PasswordFile.Write(path, users);
            Console.WriteLine($"{(existed ? "Updated" : "Added")} user '{user}' in {path}");
            return 0;
        });

        var removeName = new Argument<string>("name") { Description = "User name." };
        var remove = new Command("remove", "Remove a user.") { removeName, file };
        remove.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            var users = PasswordFile.Read(path);
            if (!users.Remove(parse.GetValue(removeName)!))
            {
                Console.Error.WriteLine($"No user '{parse.GetValue(removeName)}' in {path}");
                return 1;
            }
            PasswordFile.Write(path, users);
            Console.WriteLine($"Removed user '{parse.GetValue(removeName)}'");
            return 0;
        });

        var list = new Command("list", "List users.") { file };
        list.SetAction(parse =>
        {
            foreach (var u in PasswordFile.Read(parse.GetValue(file)!.FullName).Keys.Order(StringComparer.Ordinal)) Console.WriteLine(u);
            return 0;
        });

        return new Command("user", "Manage the users of the password file (Gateway:Auth:Mode=PasswordFile).") { add, remove, list };
    }
}
