namespace Seedream;

/// <summary>Model ids of the first-party APIs: Volcengine Ark (<c>doubao-…</c>) and BytePlus ModelArk (<c>seedream-…</c>, <c>dola-…</c>).</summary>
public static class SeedreamModels
{
    /// <summary>Seedream 5.0 lite on Volcengine Ark.</summary>
    public const string Seedream50Lite = "doubao-seedream-5-0-260128";

    /// <summary>Seedream 5.0 lite on Volcengine Ark, the id with <c>lite</c> in it.</summary>
    public const string Seedream50LiteAlias = "doubao-seedream-5-0-lite-260128";

    /// <summary>Seedream 4.5 on Volcengine Ark.</summary>
    public const string Seedream45 = "doubao-seedream-4-5-251128";

    /// <summary>Seedream 4.0 on Volcengine Ark.</summary>
    public const string Seedream40 = "doubao-seedream-4-0-250828";

    /// <summary>Seedream 3.0 text-to-image on Volcengine Ark.</summary>
    public const string Seedream30TextToImage = "doubao-seedream-3-0-t2i-250415";

    /// <summary>SeedEdit 3.0 image-to-image on Volcengine Ark.</summary>
    public const string SeedEdit30ImageToImage = "doubao-seededit-3-0-i2i-250628";

    /// <summary>Seedream 5.0 pro on Volcengine Ark.</summary>
    public const string Seedream50Pro = "doubao-seedream-5-0-pro-260628";

    /// <summary>Seedream 5.0 lite on BytePlus ModelArk.</summary>
    public const string BytePlusSeedream50Lite = "seedream-5-0-260128";

    /// <summary>Seedream 5.0 lite on BytePlus ModelArk, the id with <c>lite</c> in it.</summary>
    public const string BytePlusSeedream50LiteAlias = "seedream-5-0-lite-260128";

    /// <summary>Seedream 4.5 on BytePlus ModelArk.</summary>
    public const string BytePlusSeedream45 = "seedream-4-5-251128";

    /// <summary>Seedream 4.0 on BytePlus ModelArk.</summary>
    public const string BytePlusSeedream40 = "seedream-4-0-250828";

    /// <summary>Seedream 3.0 text-to-image on BytePlus ModelArk.</summary>
    public const string BytePlusSeedream30TextToImage = "seedream-3-0-t2i-250415";

    /// <summary>SeedEdit 3.0 image-to-image on BytePlus ModelArk (id inferred from the naming pattern).</summary>
    public const string BytePlusSeedEdit30ImageToImage = "seededit-3-0-i2i-250628";

    /// <summary>Seedream 5.0 pro on BytePlus ModelArk.</summary>
    public const string BytePlusSeedream50Pro = "dola-seedream-5-0-pro-260628";

    /// <summary>Seedream 5.0 flash on BytePlus ModelArk (the 5.0 pro rules apply).</summary>
    public const string BytePlusSeedream50Flash = "dola-seedream-5-0-flash-260915";
}
