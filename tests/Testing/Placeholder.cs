namespace Seedream.Testing;
internal static class Placeholder { }
