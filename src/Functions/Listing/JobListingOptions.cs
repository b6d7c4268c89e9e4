using System.ComponentModel.DataAnnotations;

namespace Seedream.Functions.Listing;

/// <summary>Where the job listing's index lives; bound from the root app settings, beside <c>JobsContainer</c>.</summary>
public sealed class JobListingOptions
{
    /// <summary>Azure Table names: a letter, then letters and digits, 3-63 characters.</summary>
    public const string TableNamePattern = "^[A-Za-z][A-Za-z0-9]{2,62}$";

    [Required, RegularExpression(TableNamePattern)]
    public string JobIndexTable { get; set; } = "jobindex";
}
