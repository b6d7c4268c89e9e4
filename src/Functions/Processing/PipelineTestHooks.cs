namespace Seedream.Functions;

/// <summary>Lets tests stop a delivery at a deterministic point (e.g. "crash" right after the first image is stored).</summary>
internal sealed class PipelineTestHooks
{
    public Action<string, int>? ImageStored { get; set; }
}
