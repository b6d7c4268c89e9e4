using System.Text;
using System.Text.Json.Nodes;

namespace Seedream.Functions.Tests.Intake;

/// <summary>One hostile or malformed submission: its raw bytes and every field the intake must name.</summary>
/// <param name="Fields">Field paths that must all be named; an entry ending in '*' matches by prefix.</param>
public sealed record BadCase(string Class, string Name, byte[] Body, string[] Fields, string? CancelAfter = null)
{
    public override string ToString() => $"{Class}/{Name}";
}

/// <summary>The bad-input catalogue shared by the intake's direct tests and its entry-point tests.</summary>
public static class BadInputCases
{
    public const string Model = TestRequests.Model;

    /// <summary>A valid body with <paramref name="configure"/> applied.</summary>
    public static string Json(Action<JsonObject>? configure = null)
    {
        var request = new JsonObject { ["model"] = Model, ["prompt"] = "a lighthouse at dusk", ["size"] = "1K", ["watermark"] = false };
        configure?.Invoke(request);
        return request.ToJsonString();
    }

    /// <summary>A PNG's first 24 bytes (signature + IHDR) with the given size: all the header check reads.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        var bytes = new byte[33];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        bytes[24] = 8;
        bytes[25] = 2;
        return bytes;
    }

    /// <summary>A PNG's signature and IHDR with the given size, bit depth, colour type (6: RGBA) and Adam7 interlacing.</summary>
    public static byte[] PngHeader(int width, int height, byte bitDepth, byte colourType, bool interlaced)
    {
        var bytes = PngHeader(width, height);
        (bytes[24], bytes[25], bytes[28]) = (bitDepth, colourType, interlaced ? (byte)1 : (byte)0);
        return bytes;
    }

    /// <summary>A whole GIF whose logical screen is <paramref name="screenWidth"/>² but whose one frame declares a larger size.</summary>
    public static byte[] GifWithFrame(int screenWidth, int screenHeight, int frameWidth, int frameHeight) =>
    [
        .. "GIF89a"u8, .. Le16(screenWidth), .. Le16(screenHeight), 0, 0, 0,
        0x2C, .. Le16(0), .. Le16(0), .. Le16(frameWidth), .. Le16(frameHeight), 0,
        2, 2, 0x4C, 0x01, 0, 0x3B,
    ];

    /// <summary>A TIFF directory giving ImageWidth/ImageLength twice: 12000×12000, then 100×100.</summary>
    public static byte[] TiffWithSizeTagsTwice() =>
    [
        .. "II*\0"u8, .. Le32(8), .. Le16(4),
        .. Le16(256), .. Le16(3), .. Le32(1), .. Le32(12000),
        .. Le16(257), .. Le16(3), .. Le32(1), .. Le32(12000),
        .. Le16(256), .. Le16(3), .. Le32(1), .. Le32(100),
        .. Le16(257), .. Le16(3), .. Le32(1), .. Le32(100),
        .. Le32(0),
    ];

    /// <summary>A progressive (SOF2) four-component JPEG start with the given size.</summary>
    public static byte[] ProgressiveCmykJpegHeader(int width, int height) =>
        [0xFF, 0xD8, 0xFF, 0xC2, 0x00, 0x14, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x04, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0];

    private static byte[] Le16(int value) => [(byte)value, (byte)(value >> 8)];

    private static byte[] Le32(int value) => [(byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)];

    /// <summary>A JPEG start (SOI + SOF0) with the given size.</summary>
    public static byte[] JpegHeader(int width, int height) =>
        [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];

    public static string DataUri(byte[] bytes, string mediaType = "image/png") => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";

    public static readonly IReadOnlyList<BadCase> All = Build();

    public static readonly IReadOnlyDictionary<string, BadCase> ByName = All.ToDictionary(c => c.ToString());

    public static IEnumerable<string> Names(string? cls = null) => All.Where(c => cls is null || c.Class == cls).Select(c => c.ToString());

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static List<BadCase> Build()
    {
        var cases = new List<BadCase>();
        void Add(string cls, string name, string body, params string[] fields) => cases.Add(new(cls, name, Utf8(body), fields));
        void AddBytes(string cls, string name, byte[] body, params string[] fields) => cases.Add(new(cls, name, body, fields));

        // Lone surrogates, escaped (raw UTF-8 cannot hold them: that is the invalid-UTF-8 class), in every kind of string.
        foreach (var (kind, escape) in new[] { ("high", @"\ud800"), ("low", @"\udc00"), ("reversed", @"\udc00\ud800"), ("high-then-text", @"\ud83dx") })
        {
            Add("surrogate", $"prompt-{kind}", $$"""{"model":"{{Model}}","prompt":"a{{escape}}b","size":"1K"}""", "prompt");
            Add("surrogate", $"model-{kind}", $$"""{"model":"doubao{{escape}}","prompt":"a cat"}""", "model");
            Add("surrogate", $"metadata-key-{kind}", $$$"""{"model":"{{{Model}}}","prompt":"a cat","metadata":{"k{{{escape}}}":"v"}}""", "metadata.*");
            Add("surrogate", $"metadata-value-{kind}", $$$"""{"model":"{{{Model}}}","prompt":"a cat","metadata":{"color":"v{{{escape}}}"}}""", "metadata.color");
            Add("surrogate", $"unknown-field-{kind}", $$"""{"model":"{{Model}}","prompt":"a cat","extra":"x{{escape}}"}""", "extra");
            Add("surrogate", $"unknown-key-{kind}", $$"""{"model":"{{Model}}","prompt":"a cat","x{{escape}}":1}""", "x*");
            Add("surrogate", $"image-url-{kind}", $$"""{"model":"{{Model}}","prompt":"a cat","image":"https://example.com/a{{escape}}.png"}""", "image");
            Add("surrogate", $"image-array-{kind}", $$"""{"model":"{{Model}}","prompt":"a cat","image":["https://example.com/a.png","https://example.com/{{escape}}.png"]}""", "image[1]");
            Add("surrogate", $"nested-option-{kind}", $$$"""{"model":"{{{Model}}}","prompt":"a cat","optimize_prompt_options":{"mode":"s{{{escape}}}"}}""", "optimize_prompt_options.mode");
            Add("surrogate", $"two-fields-{kind}", $$"""{"model":"{{Model}}","prompt":"{{escape}}","size":"{{escape}}"}""", "prompt", "size");
        }

        // Bytes that are not UTF-8, and encodings that are not UTF-8.
        var valid = Json();
        AddBytes("encoding", "overlong-slash", [.. Utf8("{\"model\":\"m\",\"prompt\":\""), 0xC0, 0xAF, .. Utf8("\"}")], "$");
        AddBytes("encoding", "overlong-nul", [.. Utf8("{\"model\":\"m\",\"prompt\":\""), 0xC0, 0x80, .. Utf8("\"}")], "$");
        AddBytes("encoding", "overlong-3-byte", [.. Utf8("{\"model\":\"m\",\"prompt\":\""), 0xE0, 0x80, 0xAF, .. Utf8("\"}")], "$");
        AddBytes("encoding", "encoded-surrogate", [.. Utf8("{\"model\":\"m\",\"prompt\":\""), 0xED, 0xA0, 0x80, .. Utf8("\"}")], "$");
        AddBytes("encoding", "lone-continuation", [.. Utf8("{\"model\":\"m\",\"prompt\":\"a"), 0x80, .. Utf8("\"}")], "$");
        AddBytes("encoding", "truncated-sequence", [.. Utf8("{\"model\":\"m\",\"prompt\":\"a"), 0xE2, 0x82, .. Utf8("\"}")], "$");
        AddBytes("encoding", "beyond-unicode", [.. Utf8("{\"model\":\"m\",\"prompt\":\"a"), 0xF5, 0x80, 0x80, 0x80, .. Utf8("\"}")], "$");
        AddBytes("encoding", "byte-ff", [.. Utf8("{\"model\":\"m\",\"prompt\":\"a"), 0xFF, .. Utf8("\"}")], "$");
        AddBytes("encoding", "latin1-prompt", [.. Utf8("{\"model\":\"m\",\"prompt\":\"caf"), 0xE9, .. Utf8("\"}")], "$");
        AddBytes("encoding", "utf16le-bom", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(valid)], "$");
        AddBytes("encoding", "utf16be-bom", [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(valid)], "$");
        AddBytes("encoding", "utf16le-no-bom", Encoding.Unicode.GetBytes(valid), "$");
        AddBytes("encoding", "utf32le", [.. new UTF32Encoding(false, true).GetPreamble(), .. Encoding.UTF32.GetBytes(valid)], "$");
        AddBytes("encoding", "bom-then-latin1", [0xEF, 0xBB, 0xBF, .. Utf8("{\"prompt\":\""), 0xE9, .. Utf8("\"}")], "$");
        AddBytes("encoding", "key-invalid-utf8", [.. Utf8("{\"model\":\"m\",\"pro"), 0xC3, .. Utf8("mpt\":\"a\"}")], "$");

        // Not JSON, or JSON extensions that are not JSON.
        Add("syntax", "line-comment", "{\"model\":\"m\", // note\n\"prompt\":\"a\"}", "*");
        Add("syntax", "block-comment", "{\"model\":\"m\",/* note */\"prompt\":\"a\"}", "*");
        Add("syntax", "trailing-comma-object", "{\"model\":\"m\",\"prompt\":\"a\",}", "*");
        Add("syntax", "trailing-comma-array", $$"""{"model":"{{Model}}","prompt":"a","image":["https://example.com/a.png",]}""", "*");
        Add("syntax", "nan", $$"""{"model":"{{Model}}","prompt":"a","guidance_scale":NaN}""", "*");
        Add("syntax", "infinity", $$"""{"model":"{{Model}}","prompt":"a","guidance_scale":Infinity}""", "*");
        Add("syntax", "minus-infinity", $$"""{"model":"{{Model}}","prompt":"a","seed":-Infinity}""", "*");
        Add("syntax", "single-quotes", "{'model':'m','prompt':'a'}", "*");
        Add("syntax", "unquoted-key", "{model:\"m\",\"prompt\":\"a\"}", "*");
        Add("syntax", "leading-zero", $$"""{"model":"{{Model}}","prompt":"a","seed":012}""", "*");
        Add("syntax", "hex-number", $$"""{"model":"{{Model}}","prompt":"a","seed":0x10}""", "*");
        Add("syntax", "two-roots", $$"""{"model":"{{Model}}","prompt":"a"}{"model":"{{Model}}","prompt":"b"}""", "*");
        Add("syntax", "garbage-after", $$"""{"model":"{{Model}}","prompt":"a"} trailing""", "*");
        Add("syntax", "raw-newline-in-string", "{\"model\":\"m\",\"prompt\":\"a\nb\"}", "*");
        Add("syntax", "raw-tab-in-string", "{\"model\":\"m\",\"prompt\":\"a\tb\"}", "*");
        Add("syntax", "bad-escape", "{\"model\":\"m\",\"prompt\":\"a\\xb\"}", "*");
        Add("syntax", "truncated", $$"""{"model":"{{Model}}","prompt":"a""", "*");
        Add("syntax", "root-array", $$"""[{"model":"{{Model}}","prompt":"a"}]""", "$");
        Add("syntax", "root-string", "\"a cat\"", "$");
        Add("syntax", "root-number", "42", "$");
        Add("syntax", "root-null", "null", "$");
        Add("syntax", "root-true", "true", "$");
        Add("syntax", "empty", "", "$");
        Add("syntax", "whitespace-only", " \r\n\t ", "$");
        Add("syntax", "form-encoded", "model=doubao&prompt=a+cat", "$");
        Add("syntax", "xml", "<request><model>m</model></request>", "$");
        Add("syntax", "nul-bytes", "\0\0\0\0", "$");

        // Duplicate keys: named by path, not "$".
        Add("duplicate", "prompt", $$"""{"model":"{{Model}}","prompt":"a cat","prompt":"a dog"}""", "prompt");
        Add("duplicate", "escaped-equal", $$"""{"model":"{{Model}}","prompt":"a cat","pr\u006fmpt":"a dog"}""", "prompt");
        Add("duplicate", "metadata-key", $$$"""{"model":"{{{Model}}}","prompt":"a cat","metadata":{"a":"1","a":"2"}}""", "metadata.a");
        Add("duplicate", "nested-option", $$$"""{"model":"{{{Model}}}","prompt":"a","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":2,"max_images":3}}""", "sequential_image_generation_options.max_images");
        Add("duplicate", "unknown-field", $$"""{"model":"{{Model}}","prompt":"a","x":1,"x":2}""", "x");
        Add("duplicate", "model-and-prompt", $$"""{"model":"{{Model}}","model":"other","prompt":"a","prompt":"b"}""", "model", "prompt");

        // Nesting deeper than the limit.
        foreach (var depth in new[] { 17, 100, 1000, 100_000 })
        {
            Add("depth", $"unknown-field-{depth}", $$"""{"model":"{{Model}}","prompt":"a","x":{{new string('[', depth)}}{{new string(']', depth)}}}""", "x*");
        }

        Add("depth", "metadata-20", "{\"model\":\"" + Model + "\",\"prompt\":\"a\",\"metadata\":{\"a\":" + Nest(20) + "}}", "metadata*");
        Add("depth", "image-20", $$"""{"model":"{{Model}}","prompt":"a","image":[{{new string('[', 20)}}{{new string(']', 20)}}]}""", "image*");

        // Several fields of the wrong type: all named.
        Add("types", "model-prompt-size", """{"model":7,"prompt":8,"size":9}""", "model", "prompt", "size");
        Add("types", "booleans", $$"""{"model":"{{Model}}","prompt":"a","watermark":"yes","stream":1,"layer_decomposition":"no"}""", "watermark", "stream", "layer_decomposition");
        Add("types", "image-guidance-tools", $$"""{"model":"{{Model}}","prompt":"a","image":5,"guidance_scale":"hi","tools":"web"}""", "image", "guidance_scale", "tools");
        Add("types", "seed-out-of-long", $$"""{"model":"{{Model}}","prompt":"a","seed":1e30}""", "seed");
        Add("types", "seed-2^63", $$"""{"model":"{{Model}}","prompt":"a","seed":9223372036854775808}""", "seed");
        Add("types", "guidance-1e400", $$"""{"model":"doubao-seedream-3-0-t2i-250415","prompt":"a","guidance_scale":1e400}""", "guidance_scale");
        Add("types", "max-images-string", $$$"""{"model":"{{{Model}}}","prompt":"a","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":"three"}}""", "sequential_image_generation_options.max_images");
        Add("types", "max-images-2^31", $$$"""{"model":"{{{Model}}}","prompt":"a","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":2147483648}}""", "sequential_image_generation_options.max_images");
        Add("types", "max-images-fraction", $$$"""{"model":"{{{Model}}}","prompt":"a","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":1.5}}""", "sequential_image_generation_options.max_images");
        Add("types", "metadata-array", $$"""{"model":"{{Model}}","prompt":"a","metadata":["a"]}""", "metadata");
        Add("types", "metadata-values", $$$"""{"model":"{{{Model}}}","prompt":"a","metadata":{"a":1,"b":true,"c":null}}""", "metadata.a", "metadata.b", "metadata.c");
        Add("types", "image-array-of-numbers", $$"""{"model":"{{Model}}","prompt":"a","image":[1,2]}""", "image*");
        Add("types", "options-string", $$"""{"model":"{{Model}}","prompt":"a","optimize_prompt_options":"standard","sequential_image_generation_options":5}""", "optimize_prompt_options", "sequential_image_generation_options");
        Add("types", "everything-null-model", """{"model":null,"prompt":null}""", "model", "prompt");

        // Prompts that say nothing.
        foreach (var (name, prompt) in new[]
        {
            ("nul", @"\u0000"), ("nuls", @"\u0000\u0000\u0000"), ("nul-spaces", @" \u0000 "), ("whitespace", @"\t\n\r "), ("bom-only", @"\ufeff"),
            ("nul-inside", @"a\u0000b"), ("escape-sequence", @"\u001b[31mred"), ("empty", ""), ("bell", @"ding\u0007"), ("delete", @"\u007f"),
        })
        {
            Add("prompt", name, $$"""{"model":"{{Model}}","prompt":"{{prompt}}","size":"1K"}""", "prompt");
        }

        // Data URIs: what the drop path always refused, now refused everywhere.
        Add("data-uri", "1x1-png", Json(r => r["image"] = DataUri(PngHeader(1, 1))), "image");
        Add("data-uri", "not-an-image", Json(r => r["image"] = DataUri(Utf8("just some text, not pixels at all"))), "image");
        Add("data-uri", "jpeg-labelled-png", Json(r => r["image"] = DataUri(JpegHeader(512, 512))), "image");
        Add("data-uri", "png-labelled-jpeg", Json(r => r["image"] = DataUri(PngHeader(512, 512), "image/jpeg")), "image");
        Add("data-uri", "49-megapixels", Json(r => r["image"] = DataUri(PngHeader(7000, 7000))), "image");
        Add("data-uri", "aspect-20-to-1", Json(r => r["image"] = DataUri(PngHeader(2000, 100))), "image");
        Add("data-uri", "aspect-1-to-20", Json(r => r["image"] = DataUri(PngHeader(100, 2000))), "image");
        Add("data-uri", "14-pixels-wide", Json(r => r["image"] = DataUri(PngHeader(14, 600))), "image");
        Add("data-uri", "gif-for-seededit", $$"""{"model":"doubao-seededit-3-0-i2i-250628","prompt":"a","image":"{{DataUri([.. "GIF89a"u8, 0, 2, 0, 2], "image/gif")}}"}""", "image");
        Add("data-uri", "invalid-base64", Json(r => r["image"] = "data:image/png;base64,@@@not-base64@@@"), "image");
        Add("data-uri", "empty-payload", Json(r => r["image"] = "data:image/png;base64,"), "image");
        Add("data-uri", "text-media-type", Json(r => r["image"] = DataUri(PngHeader(512, 512), "text/plain")), "image");
        Add("data-uri", "signature-only", Json(r => r["image"] = DataUri(PngHeader(512, 512)[..8])), "image");
        Add("data-uri", "second-of-two", Json(r => r["image"] = new JsonArray(DataUri(PngHeader(512, 512)), DataUri(PngHeader(1, 1)))), "image[1]");
        // Header facts the thumbnailer's decoder would read differently, or could only decode whole (issue 20).
        Add("image-facts", "gif-frame-beyond-screen", Json(r => r["image"] = DataUri(GifWithFrame(100, 100, 12000, 12000), "image/gif")), "image");
        Add("image-facts", "tiff-size-tags-twice", Json(r => r["image"] = DataUri(TiffWithSizeTagsTwice(), "image/tiff")), "image");
        Add("image-facts", "interlaced-16-bit-rgba-png-6000", Json(r => r["image"] = DataUri(PngHeader(6000, 6000, bitDepth: 16, colourType: 6, interlaced: true))), "image");
        Add("image-facts", "progressive-cmyk-jpeg-6000", Json(r => r["image"] = DataUri(ProgressiveCmykJpegHeader(6000, 6000), "image/jpeg")), "image");
        // BMP variants our own BMP reader cannot decode (libvips has none), so no thumbnail could be made: refused at intake.
        Add("bmp", "rle8", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 8, SampleBmps.Rle8, 640, 480), "image/bmp")), "image");
        Add("bmp", "jpeg-inside", Json(r => r["image"] = DataUri(SampleBmps.Header(124, 0, SampleBmps.Jpeg, 640, 480), "image/bmp")), "image");
        Add("bmp", "rows-missing", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 480), "image/bmp")), "image");
        Add("bmp", "49-megapixels", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 1, SampleBmps.Rgb, 7000, 7000), "image/bmp")), "image");
        Add("bmp", "rle4", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 4, SampleBmps.Rle4, 640, 480), "image/bmp")), "image");
        Add("bmp", "png-inside", Json(r => r["image"] = DataUri(SampleBmps.Header(124, 0, SampleBmps.Png, 640, 480), "image/bmp")), "image");
        Add("bmp", "os2-core-header", Json(r => r["image"] = DataUri(SampleBmps.Os2CoreHeader(640, 480), "image/bmp")), "image");
        Add("bmp", "overlapping-masks", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 16, SampleBmps.BitFields, 640, 480, masks: [0xF800, 0x0FE0, 0x001F]), "image/bmp")), "image");
        Add("bmp", "pixels-inside-headers", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, 480, pixelOffset: 20), "image/bmp")), "image");
        Add("bmp", "height-int-min", Json(r => r["image"] = DataUri(SampleBmps.Header(40, 24, SampleBmps.Rgb, 640, int.MinValue), "image/bmp")), "image");
        Add("bmp", "second-of-two", Json(r => r["image"] = new JsonArray(DataUri(SampleBmps.Write("rgb24", 64, 48, (x, y) => new Rgba(1, 2, 3)), "image/bmp"), DataUri(SampleBmps.Header(40, 8, SampleBmps.Rle8, 640, 480), "image/bmp"))), "image[1]");
        Add("data-uri", "both-of-two", Json(r => r["image"] = new JsonArray(DataUri(JpegHeader(512, 512)), DataUri(PngHeader(3, 3)))), "image[0]", "image[1]");

        // Reference hosts Seedream cannot (or must not) reach.
        foreach (var (name, url) in new[]
        {
            ("metadata-service", "http://169.254.169.254/latest/meta-data/"), ("metadata-https", "https://169.254.169.254/x.png"),
            ("loopback-http", "http://127.0.0.1:8080/x.png"), ("loopback-https", "https://127.0.0.1/x.png"), ("ipv6-loopback", "https://[::1]/x.png"),
            ("ten", "https://10.0.0.1/x.png"), ("ten-http", "http://10.0.0.1/x.png"), ("one-nine-two", "https://192.168.1.10/x.png"), ("one-seven-two", "https://172.16.5.4/x.png"),
            ("mapped-loopback", "https://[::ffff:127.0.0.1]/x.png"), ("mapped-private", "https://[::ffff:10.0.0.1]/x.png"), ("link-local-v6", "https://[fe80::1]/x.png"),
            ("unique-local-v6", "https://[fd00::1]/x.png"), ("decimal-ip", "https://2130706433/x.png"), ("hex-ip", "https://0x7f000001/x.png"),
            ("octal-ip", "https://0177.0.0.1/x.png"), ("short-ip", "https://127.1/x.png"), ("localhost", "https://localhost/x.png"),
            ("sub-localhost", "https://a.localhost/x.png"), ("single-label", "https://intranet/x.png"), ("dot-local", "https://printer.local/x.png"),
            ("cgnat", "https://100.64.0.1/x.png"), ("zero", "https://0.0.0.0/x.png"), ("ipv6-any", "https://[::]/x.png"), ("multicast", "https://224.0.0.1/x.png"),
            ("credentials", "https://user:secret@example.com/x.png"), ("ftp", "ftp://example.com/x.png"), ("file", "file:///etc/passwd"),
            ("nat64-private", "https://[64:ff9b::a00:1]/x.png"), ("6to4-private", "https://[2002:a00:1::]/x.png"), ("plain-http-public", "http://example.com/x.png"),
            ("trailing-dot-localhost", "https://localhost./x.png"), ("dot-internal", "https://api.internal/x.png"),
        })
        {
            Add("host", name, Json(r => r["image"] = url), "image");
        }

        Add("host", "second-of-three", Json(r => r["image"] = new JsonArray("https://example.com/a.png", "https://10.1.1.1/b.png", "https://example.com/c.png")), "image[1]");

        // Counts: references + max_images over 15.
        Add("count", "15-references", Json(r => r["image"] = new JsonArray([.. Enumerable.Range(0, 15).Select(i => (JsonNode)$"https://example.com/{i}.png")])), "image");
        Add("count", "10-refs-plus-6", Json(r => { r["image"] = Refs(10); r["sequential_image_generation"] = "auto"; r["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 6 }; }), "sequential_image_generation_options.max_images", "image");
        Add("count", "14-refs-plus-2", Json(r => { r["image"] = Refs(14); r["sequential_image_generation"] = "auto"; r["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 2 }; }), "sequential_image_generation_options.max_images", "image");
        Add("count", "1-ref-plus-15", Json(r => { r["image"] = Refs(1); r["sequential_image_generation"] = "auto"; r["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 15 }; }), "sequential_image_generation_options.max_images", "image");
        Add("count", "max-images-16", Json(r => { r["sequential_image_generation"] = "auto"; r["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 16 }; }), "sequential_image_generation_options.max_images");
        Add("count", "max-images-0", Json(r => { r["sequential_image_generation"] = "auto"; r["sequential_image_generation_options"] = new JsonObject { ["max_images"] = 0 }; }), "sequential_image_generation_options.max_images");
        Add("count", "10000-references", Json(r => r["image"] = Refs(10_000)), "image");
        Add("count", "too-many-metadata", Json(r => r["metadata"] = new JsonObject([.. Enumerable.Range(0, 17).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)"v"))])), "metadata");

        // Models the provider does not offer, and ids no provider could.
        Add("model", "unknown", Json(r => r["model"] = "doubao-seedream-9-9-991231"), "model");
        Add("model", "typo", Json(r => r["model"] = "doubao-seedream-4-0-25082"), "model");
        Add("model", "10k-characters", Json(r => r["model"] = new string('m', 10_000)), "model");
        Add("model", "with-space", Json(r => r["model"] = "doubao seedream"), "model");
        Add("model", "with-nul", Json(r => r["model"] = "doubao\0seedream"), "model");
        Add("model", "missing", Json(r => r.Remove("model")), "model");
        Add("model", "empty", Json(r => r["model"] = ""), "model");

        // Deadlines.
        Add("deadline", "past", Json(r => r["deadline"] = "2020-01-01T00:00:00Z"), "deadline");
        Add("deadline", "unparsable", Json(r => r["deadline"] = "tomorrow"), "deadline");
        Add("deadline", "no-offset", Json(r => r["deadline"] = "2099-01-01T00:00:00"), "deadline");
        Add("deadline", "date-only", Json(r => r["deadline"] = "2099-01-01"), "deadline");
        Add("deadline", "number", Json(r => r["deadline"] = 1_900_000_000), "deadline");
        Add("deadline", "too-far", Json(r => r["deadline"] = "2999-01-01T00:00:00Z"), "deadline");
        Add("deadline", "past-and-wrong-type-elsewhere", Json(r => { r["deadline"] = "2020-01-01T00:00:00+02:00"; r["seed"] = "x"; }), "deadline", "seed");
        foreach (var cancelAfter in new[] { "abc", "-5s", "0s", "30", "9999h", "5 m", "1h30", "\u0665m", "\uFF15m", "1\u0660s", "999999999h", "999999999.999999999h999999999h", "1e3s" })
        {
            cases.Add(new("cancel-after", cancelAfter, Utf8(Json()), ["Cancel-After"], cancelAfter));
        }

        // Sizes over the limit are the entry points' (413 over HTTP); the intake refuses them too.
        AddBytes("size", "9-mib", Utf8(Json(r => r["prompt"] = new string('a', 9 * 1024 * 1024))), "$");
        return cases;
    }

    private static JsonArray Refs(int count) => new([.. Enumerable.Range(0, count).Select(i => (JsonNode)$"https://example.com/{i}.png")]);

    private static string Nest(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
}
