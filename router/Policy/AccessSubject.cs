namespace Gateway.Router.Policy;

/// <summary>Who a decision is for: the authenticated user and the groups its authenticator gave it.</summary>
public sealed record AccessSubject(string User, IReadOnlyCollection<string> Groups);
