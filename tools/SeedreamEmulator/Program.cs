using SeedreamEmulator;

var app = EmulatorApplication.Create(args);
app.Run();
