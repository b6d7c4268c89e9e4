namespace Seedream.Functions.Intake;

/// <summary>
/// How one origin's <c>image</c> entries become what Seedream gets, before the checks every reference gets. The entry
/// point chooses it and passes it in <see cref="IntakeContext.References"/>: HTTP and queue submissions resolve nothing
/// (<see cref="None"/>), drops resolve inbox blob names beside the dropped blob (<see cref="InboxReferenceResolver.Beside"/>).
/// </summary>
public interface IReferenceResolver
{
    /// <summary>Entries are taken as they are: URLs and data URIs, checked by the common rules.</summary>
    static IReferenceResolver None { get; } = new Unresolved();

    /// <summary>The entries resolved; problems per entry; <paramref name="checkedIndexes"/> gets the entries checked here.</summary>
    Task<ImageReferences> ResolveAsync(ImageReferences images, string? model, IntakeProblems problems, ISet<int> checkedIndexes, CancellationToken cancellationToken);

    private sealed class Unresolved : IReferenceResolver
    {
        public Task<ImageReferences> ResolveAsync(ImageReferences images, string? model, IntakeProblems problems, ISet<int> checkedIndexes, CancellationToken cancellationToken) =>
            Task.FromResult(images);
    }
}
