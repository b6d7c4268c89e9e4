using System.Text.Json.Nodes;

namespace Seedream.Infra.Tests;

/// <summary>
/// One template in the compiled deployment: the main template, or the inline template of a module
/// (a Microsoft.Resources/deployments resource), with the parameter values its parent passes in.
/// </summary>
internal sealed class ArmTemplateScope
{
    private readonly JsonObject _template;
    private readonly JsonObject? _suppliedParameters;
    private readonly ArmTemplateScope? _parent;
    private readonly int? _parentCopyIndex;

    public ArmTemplateScope(JsonObject template, string deploymentPath, JsonObject? suppliedParameters = null, ArmTemplateScope? parent = null, int? parentCopyIndex = null)
    {
        _template = template;
        DeploymentPath = deploymentPath;
        _suppliedParameters = suppliedParameters;
        _parent = parent;
        _parentCopyIndex = parentCopyIndex;
    }

    /// <summary>"main", or the module chain such as "main/storage".</summary>
    public string DeploymentPath { get; }

    public JsonObject Template => _template;

    /// <summary>The value a parameter has in this template: what the parent passes, else the template's default.</summary>
    public JsonNode? ParameterValue(string name)
    {
        if (_suppliedParameters?[name] is JsonObject supplied && _parent is not null)
        {
            return ArmExpression.Evaluate(supplied["value"], _parent, _parentCopyIndex);
        }

        return _template["parameters"]?[name]?["defaultValue"] is JsonNode defaultValue
            ? ArmExpression.Evaluate(defaultValue, this)
            : JsonValue.Create($"⟨parameters('{name}')⟩");
    }

    public JsonNode? VariableValue(string name) =>
        ArmExpression.Evaluate(_template["variables"]?[name] ?? throw new KeyNotFoundException($"Variable '{name}' is not defined in {DeploymentPath}."), this);

    /// <summary>
    /// reference() takes a resource id, or in language version 2.0 templates a symbolic name; both are shown as the id.
    /// </summary>
    public string ResolveSymbolicReference(string nameOrId)
    {
        if (_template["resources"] is JsonObject symbolic && symbolic[nameOrId] is JsonObject resource)
        {
            var type = resource["type"]!.GetValue<string>();
            var name = ArmExpression.AsString(ArmExpression.Evaluate(resource["name"], this));
            return $"{type}({name})";
        }

        return nameOrId;
    }

    /// <summary>Every resource this template and its nested deployments create (existing references excluded), loops expanded.</summary>
    public IEnumerable<ArmResource> Resources()
    {
        // Language version 2.0 templates key resources by symbolic name; older ones list them.
        var declared = _template["resources"] switch
        {
            JsonObject symbolic => symbolic.Select(property => property.Value!.AsObject()),
            JsonArray array => array.Select(item => item!.AsObject()),
            _ => [],
        };

        foreach (var definition in declared)
        {
            if (definition["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            int?[] copyIndexes = definition["copy"]?["count"] is JsonNode count
                ? Enumerable.Range(0, ArmExpression.Evaluate(count, this)!.GetValue<int>()).Select(index => (int?)index).ToArray()
                : [null];
            foreach (var copyIndex in copyIndexes)
            {
                var resource = new ArmResource(definition, this, copyIndex);
                yield return resource;
                if (resource.Type == "Microsoft.Resources/deployments")
                {
                    foreach (var child in resource.NestedTemplate().Resources())
                    {
                        yield return child;
                    }
                }
            }
        }
    }
}

/// <summary>A resource of the compiled deployment, read through <see cref="ArmExpression"/>.</summary>
/// <remarks>Resource ids evaluate to <c>type(name)</c>, so <see cref="Id"/> can be compared with scopes and references.</remarks>
internal sealed class ArmResource(JsonObject definition, ArmTemplateScope scope, int? copyIndex)
{
    public JsonObject Definition { get; } = definition;

    public ArmTemplateScope Scope { get; } = scope;

    public string Type { get; } = definition["type"]!.GetValue<string>();

    public string Name => ArmExpression.AsString(Evaluate("name"));

    /// <summary>The resource id as <see cref="ArmExpression"/> shows resourceId(): "type(name)".</summary>
    public string Id => $"{Type}({Name})";

    /// <summary>The last segment of the name: "images" for "st⟨…⟩/default/images".</summary>
    public string LeafName => Name[(Name.LastIndexOf('/') + 1)..];

    /// <summary>The evaluated value at a property path such as "properties", "filter", "subjectBeginsWith".</summary>
    public JsonNode? Evaluate(params string[] path)
    {
        JsonNode? node = Definition;
        foreach (var segment in path)
        {
            node = node?[segment];
        }

        return ArmExpression.Evaluate(node, Scope, copyIndex);
    }

    public string? EvaluateString(params string[] path) => Evaluate(path) is JsonNode value ? ArmExpression.AsString(value) : null;

    /// <summary>For a module (Microsoft.Resources/deployments): its inline template with the parameters passed to it.</summary>
    public ArmTemplateScope NestedTemplate() => new(
        Definition["properties"]!["template"]!.AsObject(),
        $"{Scope.DeploymentPath}/{Name}",
        Definition["properties"]!["parameters"]?.AsObject(),
        Scope,
        copyIndex);

    public override string ToString() => $"{Type} {Name} ({Scope.DeploymentPath})";
}
