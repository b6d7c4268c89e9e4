namespace Seedream;

/// <summary>One entry of the provider's model list (<c>GET {base}/models</c>).</summary>
public class SeedreamModelInfo
{
    /// <summary>Creates a model entry (for tests and for callers that build catalogs of their own).</summary>
    /// <param name="id">The model id to send as <c>model</c>.</param>
    /// <param name="createdAt">When the provider published the model, if it says.</param>
    /// <param name="ownedBy">The owner the provider names (e.g. a gateway's channel type), if any.</param>
    public SeedreamModelInfo(string id, DateTimeOffset? createdAt = null, string? ownedBy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        CreatedAt = createdAt;
        OwnedBy = ownedBy;
    }

    /// <summary>For mocking frameworks.</summary>
    protected SeedreamModelInfo()
    {
        Id = "";
    }

    /// <summary>The model id, as the <c>model</c> field of a generation request takes it.</summary>
    public virtual string Id { get; }

    /// <summary>The list's <c>created</c> (Unix seconds), when present.</summary>
    public virtual DateTimeOffset? CreatedAt { get; }

    /// <summary>The list's <c>owned_by</c>, when present.</summary>
    public virtual string? OwnedBy { get; }

    /// <summary>The id.</summary>
    public override string ToString() => Id;
}
