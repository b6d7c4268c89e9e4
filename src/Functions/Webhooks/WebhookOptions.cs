using System.ComponentModel.DataAnnotations;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Webhooks;

/// <summary>Callbacks named by submissions, and webhook senders calling in; configuration section "Webhooks".</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// <c>whsec_</c> secrets that sign every callback (Standard Webhooks). During a rotation hold two: both sign, so a
    /// receiver holding either verifies. Empty: callbacks are refused at submission (nothing could verify them).
    /// </summary>
    public IList<string> SigningSecrets { get; } = [];

    /// <summary><c>whsec_</c> secrets of webhook senders calling <c>POST /api/generations</c>; empty: submissions are not checked.</summary>
    public IList<string> InboundSecrets { get; } = [];

    /// <summary>With <see cref="InboundSecrets"/> set, a submission without Standard Webhooks headers is refused (401).</summary>
    public bool RequireInboundSignature { get; set; } = true;

    /// <summary>How far an inbound <c>webhook-timestamp</c> may be from now (replays of old requests are refused).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan InboundTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>One delivery attempt, connect to last byte read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most of a receiver's answer that is read; the rest is dropped with the connection.</summary>
    [Range(0, 65536)]
    public int MaxResponseBytes { get; set; } = 4096;

    /// <summary>Delay before the second attempt; each later one doubles it (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00", "06:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How long timeouts, 429 and 5xx answers are retried, from the notification (shorter in local runs and tests).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3.00:00:00")]
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Attempts after which other 4xx answers (a receiver that refuses what it gets) give up.</summary>
    [Range(1, 10)]
    public int MaxClientErrorAttempts { get; set; } = 3;
}

/// <summary>The delivery queue's name; a root app setting, as the trigger's <c>%WebhookDeliveriesQueue%</c> reads it.</summary>
public sealed class WebhookQueueOptions
{
    [Required, RegularExpression(StorageNames.QueuePattern)]
    public string WebhookDeliveriesQueue { get; set; } = "webhook-deliveries";
}
