using Microsoft.Extensions.Options;

namespace Seedream.Functions.Pacing;

/// <summary>
/// Per instance and model, a window of images in flight that grows by about one image per window's worth of answered
/// images (additive increase) and shrinks by <see cref="PacingOptions.DecreaseFactor"/> on a 429 (multiplicative
/// decrease, at most once per call duration), like TCP's congestion window. No shared state: instances converge on
/// their share of the limit through the refusals they each see. A call is admitted while the window is not full,
/// whatever its size, so a 15-image job is never starved by 1-image jobs; bulk work stops at the interactive reserve.
/// </summary>
public sealed class AdaptivePacer : GenerationPacer
{
    private const double MinWindow = 1;
    private const double MaxWindow = 10_000;

    private readonly PacingOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ModelWindow> _models = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public AdaptivePacer(IOptions<PacingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
    }

    /// <summary>The current window of <paramref name="model"/> (tests, telemetry).</summary>
    public double WindowOf(string model)
    {
        lock (_gate)
        {
            return _models.TryGetValue(model, out var window) ? window.Size : _options.InitialInFlightImages;
        }
    }

    public override ValueTask<PacingDecision> AcquireAsync(string model, string job, int images, GenerationPriority priority, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(model, out var window))
            {
                _models[model] = window = new ModelWindow { Size = _options.InitialInFlightImages };
            }

            var limit = priority == GenerationPriority.Bulk ? window.Size * (1 - _options.InteractiveReserve) : window.Size;
            if (window.InFlight > 0 && window.InFlight >= limit)
            {
                // Come back in about half a call's time, jittered: by then some of the window has been answered.
                var wait = TimeSpan.FromSeconds(Math.Max(0.2, window.CallSeconds / 2) * (0.5 + Random.Shared.NextDouble()));
                return ValueTask.FromResult(PacingDecision.Later(wait));
            }

            window.InFlight += images;
            return ValueTask.FromResult(PacingDecision.Now(new Grant(this, window, images, _time.GetTimestamp())));
        }
    }

    private void Complete(ModelWindow window, int images, long started, PacingOutcome outcome)
    {
        var seconds = _time.GetElapsedTime(started).TotalSeconds;
        lock (_gate)
        {
            window.InFlight -= images;
            switch (outcome)
            {
                case PacingOutcome.Answered:
                    window.CallSeconds = window.CallSeconds == 0 ? seconds : (0.8 * window.CallSeconds) + (0.2 * seconds);
                    window.Size = Math.Min(MaxWindow, window.Size + (images / window.Size));
                    break;
                case PacingOutcome.RateLimited:
                    // One decrease per call duration: the refusals of calls sent before the last decrease say nothing new.
                    var now = _time.GetTimestamp();
                    if (_time.GetElapsedTime(window.LastDecrease, now).TotalSeconds >= Math.Max(0.5, window.CallSeconds))
                    {
                        window.Size = Math.Max(MinWindow, window.Size * _options.DecreaseFactor);
                        window.LastDecrease = now;
                    }

                    break;
            }
        }
    }

    private sealed class ModelWindow
    {
        public double Size { get; set; }

        public int InFlight { get; set; }

        public double CallSeconds { get; set; }

        public long LastDecrease { get; set; }
    }

    private sealed class Grant(AdaptivePacer pacer, ModelWindow window, int images, long started) : PacingGrant
    {
        private int _completed;

        public override ValueTask CompleteAsync(PacingOutcome outcome)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                pacer.Complete(window, images, started, outcome);
            }

            return ValueTask.CompletedTask;
        }
    }
}
