namespace Seedream;
internal static class Placeholder { }
