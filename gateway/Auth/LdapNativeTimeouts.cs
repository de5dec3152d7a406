using System.Runtime.InteropServices;

namespace Gateway.Server.Auth;

/// <summary>
/// Client-side time limits for OpenLDAP's libldap, which System.DirectoryServices.Protocols does not set on Linux:
/// <c>LdapConnection.Timeout</c> bounds only requests sent with <c>SendRequest(request, timeout)</c>, so a bind to a
/// directory that accepts the TCP connection and never answers blocks its thread forever (measured with libldap 2.5).
/// libldap copies its process-wide defaults into each handle when the handle is made, so the defaults are set, under a
/// lock, immediately before each <c>LdapConnection</c> is constructed: <c>LDAP_OPT_TIMEOUT</c> (every synchronous
/// call, the bind included) and <c>LDAP_OPT_NETWORK_TIMEOUT</c> (the TCP connect).
/// <para>A TLS handshake with a silent LDAPS server is still not bounded by libldap; <see cref="LdapAuthenticator"/>
/// bounds the whole login itself and counts such a thread against its concurrency limit until it ends.</para>
/// </summary>
internal static partial class LdapNativeTimeouts
{
    private const int LdapOptTimeout = 0x5002;
    private const int LdapOptNetworkTimeout = 0x5005;

    /// <summary>The names libldap goes by on the distributions .NET supports (OpenLDAP 2.6, 2.5, 2.4).</summary>
    private static readonly string[] s_libraries = ["libldap.so.2", "libldap-2.5.so.0", "libldap-2.4.so.2"];

    private static readonly Lock s_lock = new();
    private static readonly unsafe delegate* unmanaged<nint, int, Timeval*, int> s_setOption = Resolve();

    [StructLayout(LayoutKind.Sequential)]
    private struct Timeval
    {
        public nint Seconds;
        public nint Microseconds;
    }

    /// <summary>Whether the limits can be set here (Linux with libldap); elsewhere the caller's own bound is all there is.</summary>
    public static unsafe bool Available => s_setOption != null;

    /// <summary>Runs <paramref name="create"/> (which must construct the <c>LdapConnection</c>) with libldap's defaults set to <paramref name="timeout"/>.</summary>
    public static unsafe T Create<T>(TimeSpan timeout, Func<T> create)
    {
        if (s_setOption == null) return create();
        var micros = (long)Math.Ceiling(timeout.TotalMicroseconds);
        var value = new Timeval { Seconds = (nint)(micros / 1_000_000), Microseconds = (nint)(micros % 1_000_000) };
        lock (s_lock)
        {
            _ = s_setOption(0, LdapOptTimeout, &value);
            _ = s_setOption(0, LdapOptNetworkTimeout, &value);
            return create();
        }
    }

    private static unsafe delegate* unmanaged<nint, int, Timeval*, int> Resolve()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var name in s_libraries)
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "ldap_set_option", out var export))
            {
                return (delegate* unmanaged<nint, int, Timeval*, int>)export;
            }
        }
        return null;
    }
}
