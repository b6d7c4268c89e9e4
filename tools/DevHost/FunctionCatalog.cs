using System.Reflection;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Seedream.Functions.Intake;

namespace Seedream.DevHost;

/// <summary>A function method found by reflection: public types with methods carrying <c>[Function]</c>.</summary>
public abstract record FunctionDefinition(string Name, Type FunctionType, MethodInfo Method);

public sealed record HttpFunctionDefinition(string Name, Type FunctionType, MethodInfo Method, HttpTriggerAttribute Trigger)
    : FunctionDefinition(Name, FunctionType, Method);

public sealed record QueueFunctionDefinition(string Name, Type FunctionType, MethodInfo Method, QueueTriggerAttribute Trigger, ParameterInfo MessageParameter)
    : FunctionDefinition(Name, FunctionType, Method);

public static class FunctionCatalog
{
    private static readonly Type[] s_queueMessageTypes = [typeof(string), typeof(QueueMessage), typeof(BinaryData), typeof(byte[])];

    /// <summary>
    /// Every function in <paramref name="assemblies"/>. Throws for functions this host cannot run
    /// (other triggers, parameters outside docs/architecture.md §4) so they are not silently skipped.
    /// </summary>
    public static IReadOnlyList<FunctionDefinition> Discover(IEnumerable<Assembly> assemblies) =>
        Discover(assemblies.SelectMany(assembly => assembly.GetExportedTypes()));

    /// <summary>Every function of <paramref name="types"/>; throws as <see cref="Discover(IEnumerable{Assembly})"/> does.</summary>
    public static IReadOnlyList<FunctionDefinition> Discover(IEnumerable<Type> types)
    {
        var functions = new List<FunctionDefinition>();
        foreach (var type in types.Where(type => type is { IsClass: true, IsAbstract: false }))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } function)
                {
                    functions.Add(Describe(function.Name, type, method));
                }
            }
        }

        return functions;
    }

    private static FunctionDefinition Describe(string name, Type type, MethodInfo method)
    {
        var parameters = method.GetParameters();
        if (parameters.SingleOrDefault(p => p.GetCustomAttribute<HttpTriggerAttribute>() is not null) is { } httpParameter)
        {
            if (httpParameter.ParameterType != typeof(HttpRequest))
            {
                throw Unsupported(name, $"its HTTP trigger parameter '{httpParameter.Name}' must be an HttpRequest");
            }

            if (!typeof(Task<Microsoft.AspNetCore.Mvc.IActionResult>).IsAssignableFrom(method.ReturnType)
                && !typeof(Microsoft.AspNetCore.Mvc.IActionResult).IsAssignableFrom(method.ReturnType))
            {
                throw Unsupported(name, "an HTTP function must return Task<IActionResult> or IActionResult");
            }

            foreach (var parameter in parameters.Where(p => p != httpParameter && p.ParameterType != typeof(CancellationToken)))
            {
                if (RouteValueBinder.ConverterFor(parameter.ParameterType) is null)
                {
                    throw Unsupported(name, $"route parameter '{parameter.Name}' of type {parameter.ParameterType.Name} cannot be converted from text");
                }

                if (RouteRules.MissingTypeConstraint((httpParameter.GetCustomAttribute<HttpTriggerAttribute>()!.Route ?? name), parameter) is { } missing)
                {
                    throw Unsupported(name, missing);
                }
            }

            return new HttpFunctionDefinition(name, type, method, httpParameter.GetCustomAttribute<HttpTriggerAttribute>()!);
        }

        if (parameters.SingleOrDefault(p => p.GetCustomAttribute<QueueTriggerAttribute>() is not null) is { } queueParameter)
        {
            if (!s_queueMessageTypes.Contains(queueParameter.ParameterType))
            {
                throw Unsupported(name, $"its queue trigger parameter '{queueParameter.Name}' must be string, QueueMessage, BinaryData or byte[]");
            }

            if (parameters.FirstOrDefault(p => p != queueParameter && p.ParameterType != typeof(CancellationToken)) is { } other)
            {
                throw Unsupported(name, $"parameter '{other.Name}' is neither the message nor a CancellationToken");
            }

            if (method.ReturnType != typeof(Task) && method.ReturnType != typeof(void))
            {
                throw Unsupported(name, "a queue function must return Task or void");
            }

            var trigger = queueParameter.GetCustomAttribute<QueueTriggerAttribute>()!;
            if (trigger.QueueName.EndsWith("-poison", StringComparison.OrdinalIgnoreCase))
            {
                // The real host gives a trigger on a poison queue no poison queue of its own and leaves there text it
                // cannot decode, retaking it every 10 minutes forever (issue 19): drain poison queues in the app instead.
                throw Unsupported(name, $"it triggers on the poison queue '{trigger.QueueName}': under the real Functions host such a trigger has no poison queue of its own and loops on messages it cannot decode; read poison queues without a trigger (as PoisonQueueDrain does)");
            }

            return new QueueFunctionDefinition(name, type, method, trigger, queueParameter);
        }

        throw Unsupported(name, "it has no HttpTrigger or QueueTrigger parameter");
    }

    private static NotSupportedException Unsupported(string function, string reason) =>
        new($"The development host cannot run function '{function}': {reason} (see docs/architecture.md §4).");
}
