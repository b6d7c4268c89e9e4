using System.Text.RegularExpressions;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Submissions;

/// <summary>The job id rule under the name the status functions use; the intake (<see cref="SubmissionIntake"/>) owns it.</summary>
public static class SubmissionParser
{
    public static Regex JobIdPattern() => SubmissionIntake.JobIdPattern();
}
