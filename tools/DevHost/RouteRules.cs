using Microsoft.AspNetCore.Routing.Template;

namespace Seedream.DevHost;

/// <summary>
/// The real Functions host's HTTP router takes the first registered route that matches (registration order), where
/// ASP.NET Core's endpoint routing prefers literals; so two routes that can match one path behave differently under the
/// two hosts (issue 19: <c>generations/view</c> was answered by <c>generations/{id}</c> in Azure). This host refuses
/// such routes at startup instead of quietly behaving better, and refuses typed route values without their constraint.
/// </summary>
public static class RouteRules
{
    private static readonly Dictionary<Type, string> s_typeConstraints = new()
    {
        [typeof(int)] = "int", [typeof(long)] = "long", [typeof(Guid)] = "guid", [typeof(bool)] = "bool",
        [typeof(double)] = "double", [typeof(float)] = "float", [typeof(decimal)] = "decimal", [typeof(DateTime)] = "datetime",
    };

    /// <summary>Throws when two functions' routes can match the same path and method.</summary>
    public static void RefuseAmbiguous(IReadOnlyList<HttpFunctionDefinition> functions, string routePrefix, IInlineConstraintResolver constraints)
    {
        var parsed = functions.Select(f => (Function: f, Template: TemplateParser.Parse(RouteOf(f)), Methods: MethodsOf(f))).ToList();
        for (var a = 0; a < parsed.Count; a++)
        {
            for (var b = a + 1; b < parsed.Count; b++)
            {
                var (first, second) = (parsed[a], parsed[b]);
                if (first.Methods is not null && second.Methods is not null && !first.Methods.Overlaps(second.Methods))
                {
                    continue;
                }

                if (Overlap(first.Template, second.Template, constraints) is { } path)
                {
                    throw new InvalidOperationException(
                        $"Routes '{routePrefix}/{RouteOf(first.Function)}' ({first.Function.Name}) and '{routePrefix}/{RouteOf(second.Function)}' ({second.Function.Name}) both match '{path}'. " +
                        "The real Functions host answers with whichever was registered first, this host would prefer the literal: " +
                        "use a distinct prefix or constrain the parameter (docs/architecture.md, tools/DevHost/README.md).");
                }
            }
        }
    }

    /// <summary>A route value bound to a non-string parameter must carry the constraint that guarantees its conversion.</summary>
    public static string? MissingTypeConstraint(string route, System.Reflection.ParameterInfo parameter)
    {
        if (parameter.ParameterType == typeof(string))
        {
            return null;
        }

        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        var part = TemplateParser.Parse(route).Parameters.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
        if (part is null)
        {
            return null;
        }

        return s_typeConstraints.TryGetValue(type, out var constraint) && part.InlineConstraints.Any(c => string.Equals(c.Constraint, constraint, StringComparison.OrdinalIgnoreCase))
            ? null
            : $"route parameter '{parameter.Name}' is a {type.Name} but its template lacks ':{(s_typeConstraints.TryGetValue(type, out var name) ? name : "<type>")}'; without it a value that is not a {type.Name} gets an answer from the host's binder that differs between hosts instead of a 404";
    }

    private static string RouteOf(HttpFunctionDefinition function) => (function.Trigger.Route ?? function.Name).Trim('/');

    private static HashSet<string>? MethodsOf(HttpFunctionDefinition function) =>
        function.Trigger.Methods is { Length: > 0 } methods ? methods.Select(m => m.ToUpperInvariant()).ToHashSet() : null;

    /// <summary>A path both templates match (as text), or null when none can.</summary>
    private static string? Overlap(RouteTemplate first, RouteTemplate second, IInlineConstraintResolver constraints)
    {
        foreach (var length in Lengths(first).Intersect(Lengths(second)))
        {
            var path = new List<string>();
            for (var i = 0; i < length; i++)
            {
                if (Common(first.Segments[i], second.Segments[i], constraints) is not { } segment)
                {
                    path = null;
                    break;
                }

                path.Add(segment);
            }

            if (path is not null)
            {
                return "/" + string.Join('/', path);
            }
        }

        return null;
    }

    /// <summary>Path lengths a template matches: its segment count, one less when its last segment is optional.</summary>
    private static IEnumerable<int> Lengths(RouteTemplate template)
    {
        var count = template.Segments.Count;
        yield return count;
        if (count > 0 && template.Segments[^1].Parts is [{ IsOptional: true } or { IsCatchAll: true }])
        {
            yield return count - 1;
        }
    }

    /// <summary>A segment text both match, or null.</summary>
    private static string? Common(TemplateSegment first, TemplateSegment second, IInlineConstraintResolver constraints)
    {
        var firstLiteral = Literal(first);
        var secondLiteral = Literal(second);
        return (firstLiteral, secondLiteral) switch
        {
            ({ } x, { } y) => string.Equals(x, y, StringComparison.OrdinalIgnoreCase) ? x : null,
            ({ } x, null) => Accepts(second, x, constraints) ? x : null,
            (null, { } y) => Accepts(first, y, constraints) ? y : null,
            // Two parameters: their constraints are not intersected; taken as overlapping.
            _ => "{" + (first.Parts[0].Name ?? "value") + "}",
        };
    }

    private static string? Literal(TemplateSegment segment) =>
        segment.Parts is [{ IsLiteral: true } literal] ? literal.Text : null;

    private static bool Accepts(TemplateSegment segment, string text, IInlineConstraintResolver constraints)
    {
        if (segment.Parts is not [{ IsParameter: true } parameter])
        {
            return true; // complex segments ("{name}.{ext}") are taken as matching anything
        }

        var values = new RouteValueDictionary { [parameter.Name!] = text };
        return parameter.InlineConstraints.All(inline =>
            constraints.ResolveConstraint(inline.Constraint) is not { } constraint
            || constraint.Match(null, null, parameter.Name!, values, RouteDirection.IncomingRequest));
    }
}
