// Each harness starts its own emulator, Azurite and child processes; one at a time keeps the 2-core machine usable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
